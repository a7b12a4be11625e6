package io.ringline.uring;

import io.netty.channel.ChannelOption;

/** Options beyond {@link ChannelOption} that Ringline's channels accept. */
public final class UringChannelOption<T> extends ChannelOption<T> {
    /** {@code SO_REUSEPORT} (socket(7)): several sockets may bind the same address and port. */
    public static final ChannelOption<Boolean> SO_REUSEPORT = valueOf(UringChannelOption.class, "SO_REUSEPORT");

    @SuppressWarnings("deprecation")
    private UringChannelOption() {
        super(null);
    }
}
