package io.ringline.uring;

/** Skeleton: being written. */
public final class UringIoHandlerConfig {
    public UringIoHandlerConfig setRingSize(int entries) { return this; }
    public UringIoHandlerConfig setBufferSize(int bytes) { return this; }
    public UringIoHandlerConfig setBufferCount(int count) { return this; }
    public UringIoHandlerConfig setMaxBufferCount(int count) { return this; }
    public UringIoHandlerConfig setRegisteredBuffers(boolean enabled) { return this; }
}
