package io.ringline.uring.ring;

import io.ringline.uring.linux.Errno;
import io.ringline.uring.linux.IoUringStructs.GeteventsArg;
import io.ringline.uring.linux.IoUringStructs.Params;
import io.ringline.uring.linux.IoUringStructs.Probe;
import io.ringline.uring.linux.IoUringStructs.RsrcRegister;
import io.ringline.uring.linux.IoUringStructs.RsrcUpdate2;
import io.ringline.uring.linux.IoUringStructs.Sqe;
import io.ringline.uring.linux.IoUringStructs.Timespec;
import io.ringline.uring.linux.LibC;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.ringline.uring.linux.IoUringConstants.*;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * One io_uring instance: the ring fd, its mapped submission and completion queues, and the few
 * io_uring_enter(2)/io_uring_register(2) calls around them. Usable without Netty.
 *
 * <p>Not thread-safe: one thread submits and reaps (rings set up with SINGLE_ISSUER insist on it). The ring may be
 * created on another thread when it {@linkplain RingOptions#startDisabled() starts disabled} and the submitting
 * thread {@linkplain #enable() enables} it.
 */
public final class Ring implements AutoCloseable {

    /** Setup flags dropped, in this order (newest kernel feature first), while the kernel answers EINVAL. */
    private static final int[] DROP_ORDER = {
            IORING_SETUP_NO_SQARRAY, IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_SINGLE_ISSUER,
            IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG, IORING_SETUP_SUBMIT_ALL};

    /** The features Ringline cannot run without, with the kernel that brought each. */
    private static final int REQUIRED_FEATURES = IORING_FEAT_SINGLE_MMAP | IORING_FEAT_NODROP
            | IORING_FEAT_FAST_POLL | IORING_FEAT_EXT_ARG;

    private final int fd;
    private final int setupFlags;
    private final int features;
    private final long ringAddress;
    private final long ringSize;
    private final long sqesAddress;
    private final long sqesSize;
    private final SubmissionQueue submissionQueue;
    private final CompletionQueue completionQueue;
    private final boolean[] supportedOpcodes;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment waitArgument;
    private final MemorySegment waitTimeout;
    /** The fd io_uring_enter(2) takes: the ring fd, or its index once registered (IORING_REGISTER_RING_FDS). */
    private int enterFd;
    private int enterFlags;
    private boolean closed;

    private Ring(int fd, MemorySegment params) throws IOException {
        this.fd = fd;
        this.setupFlags = params.get(JAVA_INT, Params.FLAGS);
        this.features = params.get(JAVA_INT, Params.FEATURES);
        this.enterFd = fd;
        int sqEntries = params.get(JAVA_INT, Params.SQ_ENTRIES);
        int cqEntries = params.get(JAVA_INT, Params.CQ_ENTRIES);
        if ((features & REQUIRED_FEATURES) != REQUIRED_FEATURES) {
            throw new UnsupportedKernelException("io_uring lacks required features (have 0x"
                    + Integer.toHexString(features) + ", need 0x" + Integer.toHexString(REQUIRED_FEATURES)
                    + ": SINGLE_MMAP, NODROP, FAST_POLL, EXT_ARG, all in Linux 5.11); Ringline needs Linux 5.19 or "
                    + "newer");
        }
        boolean noSqArray = (setupFlags & IORING_SETUP_NO_SQARRAY) != 0;
        long sqRingSize = noSqArray ? 0 : params.get(JAVA_INT, Params.SQ_OFF_ARRAY) + 4L * sqEntries;
        long cqRingSize = params.get(JAVA_INT, Params.CQ_OFF_CQES) + 16L * cqEntries;
        // IORING_FEAT_SINGLE_MMAP: one mapping holds both rings.
        this.ringSize = Math.max(sqRingSize, cqRingSize);
        this.ringAddress = map(fd, ringSize, IORING_OFF_SQ_RING, "SQ/CQ rings");
        this.sqesSize = Sqe.SIZE * sqEntries;
        long sqes;
        try {
            sqes = map(fd, sqesSize, IORING_OFF_SQES, "SQEs");
        } catch (IOException e) {
            LibC.munmap(ringAddress, ringSize);
            throw e;
        }
        this.sqesAddress = sqes;
        try {
            MemorySegment ring = MemorySegment.ofAddress(ringAddress).reinterpret(ringSize);
            MemorySegment sqeArray = MemorySegment.ofAddress(sqesAddress).reinterpret(sqesSize);
            this.submissionQueue = new SubmissionQueue(this, ring, sqeArray, params, noSqArray);
            this.completionQueue = new CompletionQueue(ring, params);
            this.waitArgument = arena.allocate(GeteventsArg.LAYOUT);
            this.waitTimeout = arena.allocate(Timespec.LAYOUT);
            this.supportedOpcodes = probeOpcodes();
        } catch (IOException | RuntimeException e) {
            // The mappings hold the io_uring file: closing the fd alone (open() does) would not free the ring.
            LibC.munmap(sqesAddress, sqesSize);
            LibC.munmap(ringAddress, ringSize);
            arena.close();
            throw e;
        }
    }

    private static long map(int fd, long size, long offset, String what) throws IOException {
        long address = LibC.mmap(size, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED | LibC.MAP_POPULATE, fd,
                offset);
        if (address < 0) {
            throw Errno.newIOException("mmap(io_uring " + what + ", " + size + " bytes)", (int) -address);
        }
        return address;
    }

    /**
     * Sets a ring up with as many of {@code options}' optional flags as the kernel accepts.
     *
     * @throws IOException an {@link io.ringline.uring.linux.ErrnoException} naming io_uring_setup and the errno
     *                     (EPERM: io_uring disabled or forbidden by seccomp; ENOMEM: locked-memory limit; ENOSYS:
     *                     no io_uring), or {@link UnsupportedKernelException} for a kernel that is too old
     */
    public static Ring open(RingOptions options) throws IOException {
        int base = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | (options.startDisabled() ? IORING_SETUP_R_DISABLED : 0);
        int optional = options.optionalFlags();
        if ((optional & IORING_SETUP_DEFER_TASKRUN) != 0 && (optional & IORING_SETUP_SINGLE_ISSUER) == 0) {
            optional &= ~IORING_SETUP_DEFER_TASKRUN; // the kernel accepts DEFER_TASKRUN only with SINGLE_ISSUER
        }
        if ((optional & (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_DEFER_TASKRUN)) == 0) {
            optional &= ~IORING_SETUP_TASKRUN_FLAG;
        }
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment params = scratch.allocate(Params.LAYOUT);
            int drop = 0;
            while (true) {
                params.fill((byte) 0);
                params.set(JAVA_INT, Params.FLAGS, base | optional);
                params.set(JAVA_INT, Params.CQ_ENTRIES, options.cqEntries());
                int fd = LibC.ioUringSetup(options.sqEntries(), params);
                if (fd >= 0) {
                    try {
                        return new Ring(fd, params);
                    } catch (IOException | RuntimeException e) {
                        LibC.close(fd);
                        throw e;
                    }
                }
                if (-fd != Errno.EINVAL || drop == DROP_ORDER.length) {
                    throw Errno.newIOException("io_uring_setup(" + options.sqEntries() + " entries, flags 0x"
                            + Integer.toHexString(base | optional) + ")", -fd);
                }
                optional &= ~DROP_ORDER[drop++];
            }
        }
    }

    private boolean[] probeOpcodes() throws IOException {
        int ops = 256;
        MemorySegment probe = arena.allocate(Probe.OPS + Probe.OP_SIZE * ops, 8);
        Errno.check("io_uring_register(IORING_REGISTER_PROBE)",
                LibC.ioUringRegister(fd, IORING_REGISTER_PROBE, probe.address(), ops));
        boolean[] supported = new boolean[ops];
        int lastOp = Byte.toUnsignedInt(probe.get(java.lang.foreign.ValueLayout.JAVA_BYTE, Probe.LAST_OP));
        for (int op = 0; op <= lastOp && op < ops; op++) {
            short flags = probe.get(JAVA_SHORT, Probe.OPS + op * Probe.OP_SIZE + Probe.OP_FLAGS);
            supported[op] = (flags & IO_URING_OP_SUPPORTED) != 0;
        }
        return supported;
    }

    /** Whether the kernel supports {@code opcode} (IORING_REGISTER_PROBE, read once at setup). */
    public boolean supportsOpcode(int opcode) {
        return opcode >= 0 && opcode < supportedOpcodes.length && supportedOpcodes[opcode];
    }

    /** The setup flags the kernel accepted ({@code IORING_SETUP_*}). */
    public int setupFlags() {
        return setupFlags;
    }

    public boolean hasSetupFlag(int flag) {
        return (setupFlags & flag) == flag;
    }

    /** {@code io_uring_params.features} ({@code IORING_FEAT_*}). */
    public int features() {
        return features;
    }

    public int fd() {
        return fd;
    }

    /** Whether {@link #close()} ran: the fd number may belong to another file now. */
    public boolean isClosed() {
        return closed;
    }

    public SubmissionQueue submissionQueue() {
        return submissionQueue;
    }

    public CompletionQueue completionQueue() {
        return completionQueue;
    }

    /** IORING_REGISTER_ENABLE_RINGS: enables a ring set up disabled; the calling thread becomes its issuer. */
    public void enable() throws IOException {
        Errno.check("io_uring_register(IORING_REGISTER_ENABLE_RINGS)",
                LibC.ioUringRegister(fd, IORING_REGISTER_ENABLE_RINGS, 0, 0));
    }

    /**
     * IORING_REGISTER_RING_FDS (5.18): registers the ring fd with the calling thread, so io_uring_enter(2) skips
     * the fd lookup. The registration belongs to the thread: only it may enter the ring afterwards, and it must
     * {@linkplain #close() close} the ring. Returns false, changing nothing, where the kernel lacks it.
     */
    public boolean registerRingFd() throws IOException {
        try (Arena scratch = Arena.ofConfined()) {
            // struct io_uring_rsrc_update { u32 offset; u32 resv; u64 data; }: offset -1 lets the kernel pick a slot.
            MemorySegment update = scratch.allocate(16, 8);
            update.set(JAVA_INT, 0, -1);
            update.set(JAVA_LONG, 8, fd);
            int ret = LibC.ioUringRegister(fd, IORING_REGISTER_RING_FDS, update.address(), 1);
            if (ret == -Errno.EINVAL) {
                return false;
            }
            Errno.check("io_uring_register(IORING_REGISTER_RING_FDS)", ret);
            enterFd = update.get(JAVA_INT, 0);
            enterFlags = IORING_ENTER_REGISTERED_RING;
            return true;
        }
    }

    /**
     * IORING_REGISTER_BUFFERS2 with IORING_RSRC_REGISTER_SPARSE (5.19): an empty table of {@code count} fixed buffers,
     * filled one index at a time by {@link #updateBuffer}, so a pool can register memory as it grows.
     */
    public void registerBufferTable(int count) throws IOException {
        registerSparseTable(IORING_REGISTER_BUFFERS2, "IORING_REGISTER_BUFFERS2", count, "buffers");
    }

    /**
     * IORING_REGISTER_BUFFERS_UPDATE: {@code length} bytes at {@code address} become fixed buffer {@code index}, for
     * READ/WRITE_FIXED and sends with IORING_RECVSEND_FIXED_BUF. The kernel pins the pages and charges them to
     * RLIMIT_MEMLOCK (unless the process has CAP_IPC_LOCK), so ENOMEM here means {@code ulimit -l} is too low.
     */
    public void updateBuffer(int index, long address, long length) throws IOException {
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment iovec = scratch.allocate(16, 8);
            iovec.set(JAVA_LONG, 0, address);
            iovec.set(JAVA_LONG, 8, length);
            updateOneEntry(scratch, IORING_REGISTER_BUFFERS_UPDATE, index, iovec,
                    "IORING_REGISTER_BUFFERS_UPDATE, buffer " + index + ", " + length + " bytes");
        }
    }

    /**
     * IORING_REGISTER_FILES2 with IORING_RSRC_REGISTER_SPARSE (5.19): an empty table of {@code count} fixed files
     * (direct descriptors), filled one index at a time by {@link #updateFile}. The kernel refuses more entries than
     * RLIMIT_NOFILE allows (EMFILE).
     */
    public void registerFileTable(int count) throws IOException {
        registerSparseTable(IORING_REGISTER_FILES2, "IORING_REGISTER_FILES2", count, "files");
    }

    /**
     * IORING_REGISTER_FILES_UPDATE2: fixed file {@code index} becomes {@code fileDescriptor} (the table takes its own
     * reference to the file), or empty again for {@code -1}. Operations in flight on the old entry keep it alive
     * until they complete.
     */
    public void updateFile(int index, int fileDescriptor) throws IOException {
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment fds = scratch.allocateFrom(JAVA_INT, fileDescriptor);
            updateOneEntry(scratch, IORING_REGISTER_FILES_UPDATE2, index, fds,
                    "IORING_REGISTER_FILES_UPDATE2, file " + index + ", fd " + fileDescriptor);
        }
    }

    /** Registers an empty ({@code IORING_RSRC_REGISTER_SPARSE}) table of {@code count} buffers or files. */
    private void registerSparseTable(int opcode, String opcodeName, int count, String unit) throws IOException {
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment register = scratch.allocate(RsrcRegister.LAYOUT);
            register.set(JAVA_INT, RsrcRegister.NR, count);
            register.set(JAVA_INT, RsrcRegister.FLAGS, IORING_RSRC_REGISTER_SPARSE);
            Errno.check("io_uring_register(" + opcodeName + ", sparse, " + count + " " + unit + "; needs Linux 5.19)",
                    LibC.ioUringRegister(fd, opcode, register.address(), (int) RsrcRegister.LAYOUT.byteSize()));
        }
    }

    /** Replaces entry {@code index} of a registered table with the one value at {@code data} (an iovec, an fd). */
    private void updateOneEntry(Arena scratch, int opcode, int index, MemorySegment data, String what)
            throws IOException {
        MemorySegment update = scratch.allocate(RsrcUpdate2.LAYOUT);
        update.set(JAVA_INT, RsrcUpdate2.OFFSET, index);
        update.set(JAVA_LONG, RsrcUpdate2.DATA, data.address());
        update.set(JAVA_INT, RsrcUpdate2.NR, 1);
        Errno.check("io_uring_register(" + what + ")",
                LibC.ioUringRegister(fd, opcode, update.address(), (int) RsrcUpdate2.LAYOUT.byteSize()));
    }

    /** Submits what the submission queue holds, without waiting. Returns the number of SQEs the kernel took. */
    public int submit() throws IOException {
        return enterToSubmit(submissionQueue.flush());
    }

    /** Submits the SQEs before {@code end} (a position between the kernel's head and our tail), without waiting. */
    int submitTo(int end) throws IOException {
        return enterToSubmit(submissionQueue.flushTo(end));
    }

    private int enterToSubmit(int toSubmit) throws IOException {
        return toSubmit == 0 ? 0 : enter(toSubmit, 0, 0, 0, 0);
    }

    /**
     * Submits what the submission queue holds and gathers completions: waits until {@code minComplete} are ready or
     * {@code timeoutNanos} pass ({@code < 0}: no time limit). With {@code minComplete == 0} it only flushes the
     * kernel's deferred work into the completion queue (needed with IORING_SETUP_DEFER_TASKRUN). Returns the
     * number of SQEs submitted; a timeout or a signal ends the wait early and is not an error.
     */
    public int submitAndWait(int minComplete, long timeoutNanos) throws IOException {
        int toSubmit = submissionQueue.flush();
        int flags = IORING_ENTER_GETEVENTS;
        long argument = 0;
        long argumentSize = 0;
        if (minComplete > 0) {
            if ((features & IORING_FEAT_NO_IOWAIT) != 0) {
                flags |= IORING_ENTER_NO_IOWAIT; // an idle loop is not waiting on disk I/O
            }
            if (timeoutNanos >= 0) {
                waitTimeout.set(JAVA_LONG, Timespec.TV_SEC, timeoutNanos / 1_000_000_000L);
                waitTimeout.set(JAVA_LONG, Timespec.TV_NSEC, timeoutNanos % 1_000_000_000L);
                waitArgument.set(JAVA_LONG, GeteventsArg.TS, waitTimeout.address());
                flags |= IORING_ENTER_EXT_ARG;
                argument = waitArgument.address();
                argumentSize = GeteventsArg.LAYOUT.byteSize();
            }
        }
        return enter(toSubmit, minComplete, flags, argument, argumentSize);
    }

    private int enter(int toSubmit, int minComplete, int flags, long argument, long argumentSize) throws IOException {
        while (true) {
            int ret = LibC.ioUringEnter(enterFd, toSubmit, minComplete, flags | enterFlags, argument, argumentSize);
            if (ret >= 0) {
                return ret;
            }
            switch (-ret) {
                case Errno.EINTR:
                    if ((flags & IORING_ENTER_GETEVENTS) != 0) {
                        // The wait's timeout is relative: waiting again would restart it, and a thread that keeps
                        // getting signals would never wake for its timer. The caller recomputes the timeout.
                        return 0;
                    }
                    continue;
                case Errno.ETIME:
                    return 0; // nothing was submitted (the kernel reports a count when it took SQEs) and the wait timed out
                case Errno.EBUSY:
                case Errno.EAGAIN:
                    // The completion queue overflowed: the kernel takes no more until completions are reaped.
                    return 0;
                default:
                    throw Errno.newIOException("io_uring_enter(to_submit " + toSubmit + ", min_complete "
                            + minComplete + ")", -ret);
            }
        }
    }

    /**
     * Unmaps the rings and closes the ring fd, which makes the kernel cancel what is still in flight. With a
     * registered ring fd this must run on the thread that registered it.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (enterFlags != 0) {
            try (Arena scratch = Arena.ofConfined()) {
                MemorySegment update = scratch.allocate(16, 8);
                update.set(JAVA_INT, 0, enterFd);
                LibC.ioUringRegister(fd, IORING_UNREGISTER_RING_FDS, update.address(), 1);
            }
        }
        LibC.munmap(sqesAddress, sqesSize);
        LibC.munmap(ringAddress, ringSize);
        LibC.close(fd);
        arena.close();
    }

    @Override
    public String toString() {
        return "Ring(fd " + fd + ", " + submissionQueue.entries() + " SQEs, " + completionQueue.entries()
                + " CQEs, setup flags 0x" + Integer.toHexString(setupFlags) + ", features 0x"
                + Integer.toHexString(features) + ")";
    }
}
