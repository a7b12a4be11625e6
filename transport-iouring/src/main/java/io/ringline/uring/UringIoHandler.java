package io.ringline.uring;

import io.netty.channel.IoHandlerFactory;

/** Skeleton: being written. */
public final class UringIoHandler {
    public static IoHandlerFactory newFactory() { throw new UnsupportedOperationException("skeleton"); }
    public static IoHandlerFactory newFactory(UringIoHandlerConfig config) { throw new UnsupportedOperationException("skeleton"); }
}
