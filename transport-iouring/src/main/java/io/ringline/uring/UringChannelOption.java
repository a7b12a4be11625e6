package io.ringline.uring;

import io.netty.channel.ChannelOption;

/** Options beyond {@link ChannelOption} that Ringline's channels accept. */
public final class UringChannelOption<T> extends ChannelOption<T> {
    /** {@code SO_REUSEPORT} (socket(7)): several sockets may bind the same address and port. */
    public static final ChannelOption<Boolean> SO_REUSEPORT = valueOf(UringChannelOption.class, "SO_REUSEPORT");
    /**
     * {@code TCP_KEEPIDLE} (tcp(7)): seconds a connection stays idle before the first keepalive probe, 1..32767;
     * probes are sent only with {@link ChannelOption#SO_KEEPALIVE} on.
     */
    public static final ChannelOption<Integer> TCP_KEEPIDLE = valueOf(UringChannelOption.class, "TCP_KEEPIDLE");
    /** {@code TCP_KEEPINTVL} (tcp(7)): seconds between keepalive probes, 1..32767. */
    public static final ChannelOption<Integer> TCP_KEEPINTVL = valueOf(UringChannelOption.class, "TCP_KEEPINTVL");
    /** {@code TCP_KEEPCNT} (tcp(7)): unanswered keepalive probes before the connection is dropped, 1..127. */
    public static final ChannelOption<Integer> TCP_KEEPCNT = valueOf(UringChannelOption.class, "TCP_KEEPCNT");
    /**
     * {@code TCP_USER_TIMEOUT} (tcp(7)): milliseconds sent data may stay unacknowledged (or keepalive probes
     * unanswered) before the connection is dropped with ETIMEDOUT; 0, the default, leaves it to the system.
     */
    public static final ChannelOption<Integer> TCP_USER_TIMEOUT = valueOf(UringChannelOption.class,
            "TCP_USER_TIMEOUT");

    @SuppressWarnings("deprecation")
    private UringChannelOption() {
        super(null);
    }
}
