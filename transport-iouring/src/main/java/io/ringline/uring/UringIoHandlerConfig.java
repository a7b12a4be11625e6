package io.ringline.uring;

import io.netty.util.internal.SystemPropertyUtil;

import java.util.function.IntConsumer;

/**
 * Settings of a {@link UringIoHandler}: ring sizes, the registered buffer pool, and switches for optional kernel
 * features: all on by default but registered (fixed) buffers, each defaulting from a system property, so a
 * deployment can change one without code.
 *
 * <p>Buffer pool: each event loop owns {@code bufferCount} slots of {@code bufferSize} bytes in one page-aligned
 * region, registered with its ring as a provided buffer ring. Receives land in a slot the kernel picks; an echo of
 * that {@code ByteBuf} is sent from the same slot, and the slot goes back to the ring when the buffer is released.
 * When every slot is taken the pool grows by {@code bufferCount} slots up to {@code maxBufferCount}; beyond that a
 * connection reads into {@code RCVBUF_ALLOCATOR} buffers, as NIO does, until slots come back
 * ({@link UringBufferPoolEvent}). Memory: {@code bufferSize * bufferCount} per loop. Only with
 * {@link #setRegisteredBuffers registered buffers} on is it also locked in RAM (it then counts against
 * {@code ulimit -l} for unprivileged users).
 */
public final class UringIoHandlerConfig {
    private static final String PREFIX = "io.ringline.uring.";

    private int ringSize;
    private int completionQueueSize;
    private int bufferSize;
    private int bufferCount;
    private int maxBufferCount;
    private boolean bufferPool;
    private boolean registeredBuffers;
    private boolean multishotRecv;
    private boolean multishotAccept;
    private boolean deferTaskrun;
    private boolean registeredRingFd;
    private int fixedFiles;

    /**
     * The defaults, or the system properties' values where set. The numbers go through the setters' checks: a bad
     * value is refused here, naming its property, rather than failing the event loop later.
     */
    public UringIoHandlerConfig() {
        fromProperty("ringSize", 4096, this::setRingSize);
        fromProperty("completionQueueSize", 0, this::setCompletionQueueSize);
        fromProperty("bufferSize", 16 * 1024, this::setBufferSize);
        fromProperty("bufferCount", 256, this::setBufferCount);
        fromProperty("maxBufferCount", 4096, this::setMaxBufferCount);
        fromProperty("fixedFiles", 16384, this::setFixedFiles);
        bufferPool = !SystemPropertyUtil.getBoolean(PREFIX + "noBufferPool", false);
        registeredBuffers = SystemPropertyUtil.getBoolean(PREFIX + "registeredBuffers", false);
        multishotRecv = !SystemPropertyUtil.getBoolean(PREFIX + "noMultishotRecv", false);
        multishotAccept = !SystemPropertyUtil.getBoolean(PREFIX + "noMultishotAccept", false);
        deferTaskrun = !SystemPropertyUtil.getBoolean(PREFIX + "noDeferTaskrun", false);
        registeredRingFd = !SystemPropertyUtil.getBoolean(PREFIX + "noRegisteredRingFd", false);
    }

    /** For {@link #copy()}: every setting as {@code original} has it; no property is read again. */
    private UringIoHandlerConfig(UringIoHandlerConfig original) {
        ringSize = original.ringSize;
        completionQueueSize = original.completionQueueSize;
        bufferSize = original.bufferSize;
        bufferCount = original.bufferCount;
        maxBufferCount = original.maxBufferCount;
        bufferPool = original.bufferPool;
        registeredBuffers = original.registeredBuffers;
        multishotRecv = original.multishotRecv;
        multishotAccept = original.multishotAccept;
        deferTaskrun = original.deferTaskrun;
        registeredRingFd = original.registeredRingFd;
        fixedFiles = original.fixedFiles;
    }

    private static void fromProperty(String name, int defaultValue, IntConsumer setter) {
        int value = SystemPropertyUtil.getInt(PREFIX + name, defaultValue);
        try {
            setter.accept(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("system property " + PREFIX + name + ": " + e.getMessage(), e);
        }
    }

    public int getRingSize() {
        return ringSize;
    }

    /** Submission queue entries (a power of two up to 32768; default 4096, property {@code io.ringline.uring.ringSize}). */
    public UringIoHandlerConfig setRingSize(int entries) {
        if (entries < 2 || entries > 32768 || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("ringSize must be a power of two in 2..32768: " + entries);
        }
        if (completionQueueSize != 0 && completionQueueSize < entries) {
            // setCompletionQueueSize checked against the ring size of its time; the ring cannot outgrow its CQ.
            throw new IllegalArgumentException("ringSize " + entries + " is more than completionQueueSize "
                    + completionQueueSize + ": the completion queue must be at least as large as the ring");
        }
        this.ringSize = entries;
        return this;
    }

    /** Completion queue entries; 0 (the default) means eight times the ring size. */
    public int getCompletionQueueSize() {
        return completionQueueSize == 0 ? Math.min(ringSize * 8, 65536) : completionQueueSize;
    }

    public UringIoHandlerConfig setCompletionQueueSize(int entries) {
        if (entries != 0 && (entries < ringSize || entries > 65536)) {
            throw new IllegalArgumentException("completionQueueSize must be 0 or in ringSize.." + 65536 + ": " + entries);
        }
        this.completionQueueSize = entries;
        return this;
    }

    public int getBufferSize() {
        return bufferSize;
    }

    /** Bytes per pool slot, a multiple of 64 (default 16 KiB). A receive fills at most one slot. */
    public UringIoHandlerConfig setBufferSize(int bytes) {
        if (bytes < 64 || bytes % 64 != 0 || bytes > 1 << 24) {
            throw new IllegalArgumentException("bufferSize must be a multiple of 64 in 64..16 MiB: " + bytes);
        }
        this.bufferSize = bytes;
        return this;
    }

    public int getBufferCount() {
        return bufferCount;
    }

    /** Slots the pool starts with, and adds each time it grows (default 256). */
    public UringIoHandlerConfig setBufferCount(int count) {
        if (count < 1 || count > 32768) {
            throw new IllegalArgumentException("bufferCount must be in 1..32768: " + count);
        }
        this.bufferCount = count;
        return this;
    }

    public int getMaxBufferCount() {
        return Math.max(maxBufferCount, bufferCount);
    }

    /** The most slots the pool grows to (default 4096, at most 32768: a provided buffer ring's limit). */
    public UringIoHandlerConfig setMaxBufferCount(int count) {
        if (count < 1 || count > 32768) {
            throw new IllegalArgumentException("maxBufferCount must be in 1..32768: " + count);
        }
        this.maxBufferCount = count;
        return this;
    }

    public boolean isBufferPool() {
        return bufferPool;
    }

    /**
     * Whether receives land in the loop's buffer pool (provided buffer ring, multishot recv). Off: each read
     * allocates from the channel's {@code RCVBUF_ALLOCATOR}, as Netty's other transports do. Property
     * {@code io.ringline.uring.noBufferPool}.
     */
    public UringIoHandlerConfig setBufferPool(boolean enabled) {
        this.bufferPool = enabled;
        return this;
    }

    public boolean isRegisteredBuffers() {
        return registeredBuffers;
    }

    /**
     * Whether the pool is also registered as fixed buffers (IORING_REGISTER_BUFFERS2), so echoes of pooled buffers go
     * out with WRITE_FIXED instead of SEND. Off by default: a TCP send copies the bytes into the socket either way,
     * and WRITE_FIXED's file-write path measured a few per cent dearer per request than SEND (benchmarks/README.md),
     * while registration pins the pool against {@code ulimit -l}. Property {@code io.ringline.uring.registeredBuffers}.
     */
    public UringIoHandlerConfig setRegisteredBuffers(boolean enabled) {
        this.registeredBuffers = enabled;
        return this;
    }

    public boolean isMultishotRecv() {
        return multishotRecv;
    }

    /** Multishot recv (6.0); off: one recv per read. Property {@code io.ringline.uring.noMultishotRecv}. */
    public UringIoHandlerConfig setMultishotRecv(boolean enabled) {
        this.multishotRecv = enabled;
        return this;
    }

    public boolean isMultishotAccept() {
        return multishotAccept;
    }

    /** Multishot accept (5.19); off: one accept at a time. Property {@code io.ringline.uring.noMultishotAccept}. */
    public UringIoHandlerConfig setMultishotAccept(boolean enabled) {
        this.multishotAccept = enabled;
        return this;
    }

    public boolean isDeferTaskrun() {
        return deferTaskrun;
    }

    /**
     * SINGLE_ISSUER + DEFER_TASKRUN (6.1): completions are produced only when the loop asks, never by interrupting
     * it. Property {@code io.ringline.uring.noDeferTaskrun}.
     */
    public UringIoHandlerConfig setDeferTaskrun(boolean enabled) {
        this.deferTaskrun = enabled;
        return this;
    }

    public boolean isRegisteredRingFd() {
        return registeredRingFd;
    }

    /** IORING_REGISTER_RING_FDS (5.18). Property {@code io.ringline.uring.noRegisteredRingFd}. */
    public UringIoHandlerConfig setRegisteredRingFd(boolean enabled) {
        this.registeredRingFd = enabled;
        return this;
    }

    public int getFixedFiles() {
        return fixedFiles;
    }

    /**
     * Connections per loop the ring holds as fixed files (IORING_REGISTER_FILES2, 5.19): their receives and sends
     * skip the kernel's per-operation fd lookup (fget/fput). Connections beyond it use their fd as usual. The
     * kernel caps the table at RLIMIT_NOFILE; 0 turns fixed files off. Default 16384, property
     * {@code io.ringline.uring.fixedFiles}.
     */
    public UringIoHandlerConfig setFixedFiles(int count) {
        if (count < 0 || count > 1 << 20) {
            throw new IllegalArgumentException("fixedFiles must be in 0..1048576 (IORING_MAX_FIXED_FILES): " + count);
        }
        this.fixedFiles = count;
        return this;
    }

    UringIoHandlerConfig copy() {
        return new UringIoHandlerConfig(this);
    }

    @Override
    public String toString() {
        return "UringIoHandlerConfig(ringSize " + ringSize + ", completionQueueSize " + getCompletionQueueSize()
                + ", bufferSize " + bufferSize + ", bufferCount " + bufferCount + ", maxBufferCount "
                + getMaxBufferCount() + ", bufferPool " + bufferPool + ", registeredBuffers " + registeredBuffers
                + ", multishotRecv " + multishotRecv + ", multishotAccept " + multishotAccept + ", deferTaskrun "
                + deferTaskrun + ", registeredRingFd " + registeredRingFd + ", fixedFiles " + fixedFiles + ")";
    }
}
