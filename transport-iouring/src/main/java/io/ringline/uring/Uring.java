package io.ringline.uring;

/** Skeleton: being written. */
public final class Uring {
    private Uring() { }
    public static boolean isAvailable() { throw new UnsupportedOperationException("skeleton"); }
    public static Throwable unavailabilityCause() { throw new UnsupportedOperationException("skeleton"); }
    public static void ensureAvailability() { throw new UnsupportedOperationException("skeleton"); }
    public static UringMetrics metrics(io.netty.channel.EventLoopGroup group) { throw new UnsupportedOperationException("skeleton"); }
}
