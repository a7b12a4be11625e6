package io.ringline.uring;

import io.netty.channel.IoHandle;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ThreadAwareExecutor;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.ringline.uring.linux.Errno;
import io.ringline.uring.linux.LibC;
import io.ringline.uring.ring.BufferPool;
import io.ringline.uring.ring.CompletionHandler;
import io.ringline.uring.ring.CompletionQueue;
import io.ringline.uring.ring.FileTable;
import io.ringline.uring.ring.Ring;
import io.ringline.uring.ring.RingOptions;
import io.ringline.uring.ring.SubmissionQueue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.ringline.uring.linux.IoUringConstants.IORING_CQE_BUFFER_SHIFT;
import static io.ringline.uring.linux.IoUringConstants.IORING_CQE_F_BUFFER;
import static io.ringline.uring.linux.IoUringConstants.IORING_CQE_F_MORE;
import static io.ringline.uring.linux.IoUringConstants.IORING_SETUP_DEFER_TASKRUN;
import static io.ringline.uring.linux.IoUringConstants.IORING_SETUP_SINGLE_ISSUER;
import static io.ringline.uring.linux.IoUringConstants.IORING_SQ_CQ_OVERFLOW;
import static io.ringline.uring.linux.IoUringConstants.IORING_SQ_TASKRUN;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Netty's {@link IoHandler} for io_uring: one {@link Ring} per event loop thread, plus that loop's registered
 * {@link BufferPool}. Each pass submits every SQE the channels prepared since the last one in a single
 * io_uring_enter(2), which also waits when the loop has nothing else to do, then reaps every completion from the
 * shared ring without entering the kernel.
 *
 * <p>Use it as {@code new MultiThreadIoEventLoopGroup(n, UringIoHandler.newFactory())}.
 */
public final class UringIoHandler implements IoHandler {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(UringIoHandler.class);
    private static final VarHandle SLEEPING;
    private static final VarHandle SHUTDOWN_CLOSE_QUEUED;

    static {
        try {
            SLEEPING = MethodHandles.lookup().findVarHandle(UringIoHandler.class, "sleeping", boolean.class);
            SHUTDOWN_CLOSE_QUEUED = MethodHandles.lookup().findVarHandle(UringIoHandler.class, "shutdownCloseQueued",
                    boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Handlers by event loop, so {@link Uring#metrics} can find a group's handlers. */
    static final Map<ThreadAwareExecutor, UringIoHandler> HANDLERS = new ConcurrentHashMap<>();

    // Operation kinds in user_data (bits 32..39). Registration id 0 is the handler's own.
    static final int OP_WAKEUP = 1;
    static final int OP_CANCEL = 2;
    /**
     * Marks the user_data of operations a third-party handle submitted ({@link Registration#submit}): their op kinds
     * are their own, so a late one tagged like Ringline's accept is no connection to close.
     */
    static final long FOREIGN_OP = 1L << 63;
    /** How long the loop pauses after a pass that failed unexpectedly (NIO's loop pauses as long). */
    private static final long LOOP_FAILURE_PAUSE_MILLIS = 1000;
    /** Room for the iovecs and sockaddrs of one pass's submissions (see {@link #scratch}). */
    private static final int SCRATCH_BYTES = 256 * 1024;
    /** Log the pool's registration failure once per process, not once per loop. */
    private static volatile boolean memlockWarned;

    private final ThreadAwareExecutor executor;
    private final UringIoHandlerConfig config;
    /** The config's multishot recv, where the kernel has it (6.0). */
    private final boolean multishotRecv;
    private final Ring ring;
    private final SubmissionQueue submissionQueue;
    private final CompletionQueue completionQueue;
    private final int eventFd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment eventFdReadBuffer;
    private final MemorySegment eventFdWriteValue;
    private final IntObjectHashMap<Registration> registrations = new IntObjectHashMap<>();
    private final UringIoEvent event = new UringIoEvent();
    private final CompletionHandler dispatcher = this::dispatch;
    /** Work to run once the current batch of completions is handled (e.g. channelReadComplete). */
    private final ArrayDeque<Runnable> afterCompletions = new ArrayDeque<>();
    private final UringMetrics.Counters counters = new UringMetrics.Counters();
    private final SlotOwner slotOwner = new SlotOwner();
    private final MemorySegment scratch;
    private long scratchUsed;
    private BufferPool bufferPool;
    private PoolSlotByteBuf[] slotBuffers;
    private FileTable fileTable;
    private int nextRegistrationId = 1;
    /** True while the loop waits in io_uring_enter(2): only then does {@link #wakeup()} need the eventfd. */
    @SuppressWarnings("unused")
    private volatile boolean sleeping;
    /**
     * Foreign threads writing the eventfd to wake the loop; {@link #destroy()} closes it before the eventfd. A write
     * can still run when the loop it woke is already destroying itself.
     */
    private final Gate wakers = new Gate();
    /** Whether {@link #wakeup()} queued the task that closes the handles at shutdown. */
    @SuppressWarnings("unused")
    private volatile boolean shutdownCloseQueued;
    private boolean destroyed;
    /** Slots released on other threads, taken back by the loop at its next pass (or by destroy()). */
    private final ConcurrentLinkedQueue<PoolSlotByteBuf> releasedElsewhere = new ConcurrentLinkedQueue<>();
    /**
     * Foreign threads adding to {@link #releasedElsewhere}; destroy() closes it before it drains the queue for the last
     * time (later releases go to BufferPool.returnAfterClose).
     */
    private final Gate returners = new Gate();

    private UringIoHandler(ThreadAwareExecutor executor, UringIoHandlerConfig config) {
        Uring.ensureAvailability();
        this.executor = executor;
        this.config = config;
        int flags = RingOptions.ALL_OPTIONAL_FLAGS;
        if (!config.isDeferTaskrun()) {
            flags &= ~(IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER);
        }
        RingOptions options = new RingOptions(config.getRingSize(), config.getCompletionQueueSize(), true, flags);
        try {
            this.ring = Ring.open(options);
        } catch (IOException e) {
            throw new IllegalStateException("cannot set up io_uring for an event loop: " + Uring.explain(e), e);
        }
        this.submissionQueue = ring.submissionQueue();
        this.completionQueue = ring.completionQueue();
        this.multishotRecv = config.isMultishotRecv() && Uring.hasMultishotRecv(ring::supportsOpcode);
        int fd = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        if (fd < 0) {
            ring.close();
            throw new IllegalStateException(Errno.newIOException("eventfd", -fd));
        }
        this.eventFd = fd;
        this.eventFdReadBuffer = arena.allocate(JAVA_LONG);
        this.eventFdWriteValue = arena.allocate(JAVA_LONG);
        eventFdWriteValue.set(JAVA_LONG, 0, 1L);
        this.scratch = arena.allocate(SCRATCH_BYTES, 16);
    }

    /** A factory for handlers with the default {@link UringIoHandlerConfig}. */
    public static IoHandlerFactory newFactory() {
        return newFactory(new UringIoHandlerConfig());
    }

    /** A factory for handlers with {@code config} (copied: later changes to it do not apply). */
    public static IoHandlerFactory newFactory(UringIoHandlerConfig config) {
        UringIoHandlerConfig copy = config.copy();
        return executor -> new UringIoHandler(executor, copy);
    }

    @Override
    public void initialize() {
        try {
            ring.enable(); // the loop thread becomes the ring's single issuer
            if (config.isRegisteredRingFd()) {
                ring.registerRingFd();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (config.isBufferPool() && ring.supportsOpcode(io.ringline.uring.linux.IoUringConstants.IORING_OP_RECV)) {
            try {
                bufferPool = BufferPool.create(ring, (short) 0, config.getBufferSize(), config.getBufferCount(),
                        config.getMaxBufferCount(), config.isRegisteredBuffers());
                slotBuffers = new PoolSlotByteBuf[config.getMaxBufferCount() + config.getBufferCount()];
                reportRegistrationFailure();
            } catch (IOException e) {
                logger.warn("io_uring buffer pool unavailable, reads use RCVBUF_ALLOCATOR buffers instead: {}",
                        Uring.explain(e));
            }
        }
        if (config.getFixedFiles() > 0) {
            long openFiles = LibC.getrlimitSoft(LibC.RLIMIT_NOFILE);
            int size = openFiles == LibC.RLIM_INFINITY ? config.getFixedFiles()
                    : (int) Math.min(config.getFixedFiles(), openFiles);
            try {
                fileTable = FileTable.register(ring, size);
            } catch (IOException e) {
                logger.warn("io_uring fixed files unavailable, connections use their fds: {}", Uring.explain(e));
            }
        }
        HANDLERS.put(executor, this);
        armWakeup();
    }

    private void reportRegistrationFailure() {
        IOException failure = bufferPool.registrationFailure();
        if (failure == null || memlockWarned) {
            return;
        }
        memlockWarned = true;
        logger.warn("io_uring buffer pool works unregistered: sends from it are plain sends, not WRITE_FIXED. {}",
                Uring.explain(failure));
    }

    private void armWakeup() {
        submissionQueue.prepRead(eventFd, eventFdReadBuffer.address(), 8, 0, userData(0, OP_WAKEUP, 0));
    }

    static long userData(int registrationId, int op, int data) {
        return (registrationId & 0xffffffffL) | ((long) (op & 0xff) << 32) | ((long) (data & 0xffff) << 40);
    }

    @Override
    public int run(IoHandlerContext context) {
        try {
            // Slots released since the last pass (by tasks, or on other threads) go back to the kernel before the loop
            // sleeps: receives armed meanwhile may fill them.
            publishRecycledSlots();
            if (context.canBlock() && completionQueue.ready() == 0) {
                SLEEPING.setVolatile(this, true);
                // Re-check after publishing that we sleep: a task or a slot released elsewhere added before this
                // point is seen here, one added after it finds sleeping == true and writes the eventfd (wakeLoop()).
                if (context.canBlock() && releasedElsewhere.isEmpty()) {
                    ring.submitAndWait(1, Math.max(0, context.delayNanos(System.nanoTime())));
                } else {
                    ring.submitAndWait(0, -1);
                }
                SLEEPING.setVolatile(this, false);
            } else if (submissionQueue.pending() > 0 || (submissionQueue.flags() & IORING_SQ_TASKRUN) != 0
                    || !ring.hasSetupFlag(IORING_SETUP_DEFER_TASKRUN)) {
                ring.submitAndWait(0, -1);
            }
            if (submissionQueue.pending() == 0) {
                scratchUsed = 0; // the kernel took every SQE, and copied what they pointed at
            }
            int handled = reap();
            // The kernel parks completions that did not fit; entering again moves them into the ring.
            while ((submissionQueue.flags() & IORING_SQ_CQ_OVERFLOW) != 0) {
                counters.completionQueueOverflows++;
                ring.submitAndWait(0, -1);
                handled += reap();
            }
            return handled;
        } catch (IOException | RuntimeException e) {
            // Netty's loop catches nothing: a throw here would end the event loop and strand every channel on it. Go
            // on, as NIO's and epoll's loops do, after a pause that keeps a fault that repeats from spinning a core.
            counters.loopFailures++;
            logger.warn("Unexpected failure in the io_uring event loop; it goes on after a 1 s pause", e);
            try {
                Thread.sleep(LOOP_FAILURE_PAUSE_MILLIS);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
            return 0;
        }
    }

    /** Handles every ready completion, then the work that waits for the end of a batch. */
    private int reap() {
        int handled = 0;
        try {
            int batch;
            while ((batch = completionQueue.drain(dispatcher)) > 0) {
                handled += batch;
                runAfterCompletions();
            }
        } finally {
            // A handle that threw ended the batch early: what the completions before it queued runs all the same
            // (else a channel's channelReadComplete would wait for the next completion, however late).
            runAfterCompletions();
            publishRecycledSlots();
        }
        return handled;
    }

    private void runAfterCompletions() {
        Runnable task;
        while ((task = afterCompletions.poll()) != null) {
            task.run();
        }
    }

    private void publishRecycledSlots() {
        if (bufferPool != null) {
            takeBackReleasedSlots();
            bufferPool.publish();
        }
    }

    /** Recycles the slots other threads released since the last call. */
    private void takeBackReleasedSlots() {
        PoolSlotByteBuf buffer;
        while ((buffer = releasedElsewhere.poll()) != null) {
            recycle(buffer);
        }
    }

    /** Offers {@code buffer}'s slot to the kernel again; the instance serves the slot's next receive. */
    private void recycle(PoolSlotByteBuf buffer) {
        slotBuffers[buffer.slot()] = buffer;
        bufferPool.recycle(buffer.slot());
    }

    private void dispatch(long userData, int res, int flags) {
        int id = (int) userData;
        int op = (int) (userData >>> 32) & 0xff;
        if (id == 0) {
            if (op == OP_WAKEUP && !destroyed) {
                armWakeup();
            }
            return;
        }
        Registration registration = registrations.get(id);
        if (registration == null) {
            // A late completion of a handle that is gone (its ops were cancelled): give back what it carries.
            if ((flags & IORING_CQE_F_BUFFER) != 0 && bufferPool != null) {
                giveBackSlot(flags >>> IORING_CQE_BUFFER_SHIFT);
            }
            if (op == AbstractUringChannel.OP_ACCEPT && res >= 0 && (userData & FOREIGN_OP) == 0) {
                LibC.close(res); // a connection accepted for a listener that is gone: nobody will serve it
            }
            return;
        }
        registration.handle.handle(registration, event.set(op, (int) (userData >>> 40) & 0xffff, res, flags));
    }

    @Override
    public void prepareToDestroy() {
        closeHandles(true); // late completions (not valid) are closed in destroy(), once the ring is gone
    }

    /** Closes the handles of the registrations whose validity is {@code valid}, logging what fails. */
    private void closeHandles(boolean valid) {
        for (Registration registration : new ArrayList<>(registrations.values())) {
            if (registration.isValid() != valid || registration.cancelPending()) {
                continue;
            }
            try {
                registration.handle.close();
            } catch (Exception e) {
                logger.warn("Failed to close {} while shutting down", registration.handle, e);
            }
        }
    }

    @Override
    public void destroy() {
        // Normally nothing is left (see wakeup()); whatever is must not keep its socket open for good. Its
        // deregistration can no longer run as a task (Netty logs that it was rejected), but the socket closes and the
        // close future completes.
        prepareToDestroy();
        destroyed = true;
        HANDLERS.remove(executor, this);
        // Wait for a wakeup() that is still writing the eventfd (one write(2)) and turn later ones away: closing the
        // eventfd under it would let its write hit whatever file reuses the number, and closing the arena under it
        // fails (the write holds the arena's session).
        wakers.close();
        for (Registration registration : new ArrayList<>(registrations.values())) {
            if (registration.cancelPending()) {
                registration.forget(); // cancelled on another thread: its task will not run now
            } else {
                registration.cancel();
            }
        }
        // Closing the ring cancels whatever is still in flight; only then may the memory it points at go.
        ring.close();
        closeHandles(false); // what waited for late completions: none will come now
        if (bufferPool != null) {
            // Slots released on other threads up to now are counted back here; later ones go to returnAfterClose.
            returners.close();
            takeBackReleasedSlots();
            bufferPool.close();
        }
        LibC.close(eventFd);
        arena.close();
    }

    @Override
    public IoRegistration register(IoHandle handle) {
        UringIoHandle uringHandle = (UringIoHandle) handle;
        int id;
        do {
            id = nextRegistrationId++;
        } while (id == 0 || registrations.containsKey(id));
        Registration registration = new Registration(id, uringHandle, true);
        registrations.put(id, registration);
        uringHandle.registered();
        return registration;
    }

    @Override
    public void wakeup() {
        // A shutdown wakes the loop right after it changed the loop's state. The loop closes the handles
        // (prepareToDestroy) only if it sees that state after a pass of I/O; with no quiet period a shutdown that
        // arrives while it runs tasks ends it first. A task queued now still runs before the loop ends, while it can
        // run the channels' deregistration tasks too.
        if (executor instanceof EventExecutor loop && loop.isShuttingDown()
                && SHUTDOWN_CLOSE_QUEUED.compareAndSet(this, false, true)) {
            try {
                loop.execute(this::prepareToDestroy);
            } catch (RejectedExecutionException e) {
                // Too late: destroy() closes what is left.
            }
        }
        wakeLoop();
    }

    /** Writes the eventfd if the loop sleeps and this is another thread. */
    private void wakeLoop() {
        if (!executor.isExecutorThread(Thread.currentThread()) && SLEEPING.compareAndSet(this, true, false)) {
            if (wakers.enter()) { // not destroyed: destroy() now waits for this write
                try {
                    long ret = LibC.write(eventFd, eventFdWriteValue, 8);
                    if (ret < 0 && -ret != Errno.EAGAIN) { // EAGAIN: the counter is saturated, a wakeup is pending
                        logger.warn("io_uring loop wakeup failed: {}", Errno.describe((int) -ret));
                    }
                } finally {
                    wakers.exit();
                }
            }
        }
    }

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
        return UringIoHandle.class.isAssignableFrom(handleType);
    }

    // ---- used by Ringline's channels, always on the loop thread ----

    SubmissionQueue submissionQueue() {
        return submissionQueue;
    }

    Ring ring() {
        return ring;
    }

    /** The loop's buffer pool, or null when reads use allocator buffers. */
    BufferPool bufferPool() {
        return bufferPool;
    }

    /** Whether connections keep one multishot recv armed (the config asks for it and the kernel has it). */
    boolean multishotRecv() {
        return multishotRecv;
    }

    UringIoHandlerConfig config() {
        return config;
    }

    UringMetrics.Counters counters() {
        return counters;
    }

    boolean inLoop() {
        return executor.isExecutorThread(Thread.currentThread());
    }

    ThreadAwareExecutor executor() {
        return executor;
    }

    /** Runs {@code task} once the current batch of completions is handled. */
    void afterCompletions(Runnable task) {
        afterCompletions.add(task);
    }

    /** Returns pool slot {@code slot}, which a completion took but nobody will read, straight to the kernel. */
    void giveBackSlot(int slot) {
        bufferPool.taken(slot);
        bufferPool.recycle(slot);
    }

    /**
     * Wraps pool slot {@code slot}, just filled with {@code length} bytes by a receive, as a {@code ByteBuf} whose
     * {@code alloc()} is {@code allocator} (the receiving channel's); the slot returns to the kernel when the buffer
     * is released.
     */
    PoolSlotByteBuf takeSlot(int slot, int length, ByteBufAllocator allocator) {
        bufferPool.taken(slot);
        PoolSlotByteBuf buffer = slotBuffers[slot];
        if (buffer == null) {
            buffer = new PoolSlotByteBuf(slotOwner, slot, bufferPool.slotAddress(slot), bufferPool.slotSize());
        } else {
            slotBuffers[slot] = null; // the user holds it now; the leak detector sees it if they drop it
        }
        return buffer.reuse(length, allocator);
    }

    /** Whether {@code buffer} is a slot of this loop's pool. */
    boolean ownsSlot(PoolSlotByteBuf buffer) {
        return buffer.owner() == slotOwner;
    }

    /** Takes released slots back, on the loop thread whichever thread released them. */
    private final class SlotOwner implements PoolSlotByteBuf.SlotOwner {
        @Override
        public void slotReleased(PoolSlotByteBuf buffer) {
            if (!inLoop()) {
                // Not through an executor task: a task may be refused while the loop lives (a bounded task queue),
                // or accepted and never run (offered just after the loop's last task pass).
                if (returners.enter()) { // destroy() has not drained the queue for the last time
                    try {
                        releasedElsewhere.add(buffer);
                    } finally {
                        returners.exit();
                    }
                    wakeLoop(); // a sleeping loop takes it back now
                } else {
                    bufferPool.returnAfterClose(); // the loop has ended: its pool unmaps once every slot is back
                }
                return;
            }
            if (destroyed) {
                bufferPool.returnAfterClose();
                return;
            }
            recycle(buffer);
        }
    }

    /**
     * Lets threads in until closed; {@link #close()} waits for those inside and turns later ones away. A count of
     * the threads inside, {@link Integer#MIN_VALUE} once closed.
     */
    private static final class Gate {
        private final AtomicInteger inside = new AtomicInteger();

        /** True if the gate is open; the caller is then inside and must {@link #exit()}. */
        boolean enter() {
            if (inside.getAndIncrement() >= 0) {
                return true;
            }
            inside.getAndDecrement();
            return false;
        }

        void exit() {
            inside.getAndDecrement();
        }

        void close() {
            while (!inside.compareAndSet(0, Integer.MIN_VALUE)) {
                Thread.yield();
            }
        }
    }

    /**
     * {@code bytes} of native memory that stay valid until the next submission: for iovecs, msghdrs and sockaddrs,
     * which the kernel copies when it takes the SQE (IORING_FEAT_SUBMIT_STABLE). Submits early if the area is full.
     */
    long scratch(int bytes) throws IOException {
        int aligned = (bytes + 15) & ~15;
        if (aligned > scratch.byteSize()) {
            throw new IllegalArgumentException("scratch request too large: " + bytes);
        }
        if (scratchUsed + aligned > scratch.byteSize()) {
            ring.submit();
            int left = submissionQueue.pending();
            if (left != 0) {
                // The kernel did not take them all (EAGAIN, EBUSY): the SQEs left may point into the scratch area.
                throw new IOException("io_uring took too few of the queued operations (" + left
                        + " left): no scratch memory is free");
            }
            scratchUsed = 0;
        }
        long address = scratch.address() + scratchUsed;
        scratchUsed += aligned;
        return address;
    }

    /**
     * Installs a connection's socket in the ring's fixed file table; returns its index, or -1 when there is no
     * table or no free entry (the connection then uses its fd).
     */
    int installFixedFile(int fd) {
        if (fileTable == null) {
            return -1;
        }
        try {
            return fileTable.install(fd);
        } catch (IOException e) {
            logger.debug("socket {} stays out of the fixed file table", fd, e);
            return -1;
        }
    }

    /**
     * Keeps the completions that still come for a cancelled registration's {@code id} going to {@code late} (a
     * {@link LateCompletions}) instead of dropping them; the id is not reused until {@link #forgetLateCompletions}.
     */
    void keepForLateCompletions(int id, UringIoHandle late) {
        registrations.put(id, new Registration(id, late, false));
    }

    void forgetLateCompletions(int id, UringIoHandle late) {
        Registration registration = registrations.get(id);
        if (registration != null && registration.handle == late) {
            registrations.remove(id);
        }
    }

    /** Takes fixed file {@code index} out of the table, so closing its fd closes the socket. */
    void removeFixedFile(int index) {
        try {
            // Operations prepared but not yet submitted may name the index, and the kernel looks it up when it takes
            // them: submit them while the entry still holds the socket (else they fail with EBADF).
            ring.submit();
            fileTable.remove(index);
        } catch (IOException e) {
            logger.warn("cannot empty fixed file {}: its socket stays open until the entry is reused or the loop ends",
                    index, e);
        }
    }

    UringMetrics snapshot() {
        BufferPool pool = bufferPool;
        return counters.snapshot(pool == null ? 0 : pool.slots(), pool == null ? 0 : pool.slotsInUse(),
                fileTable == null ? 0 : fileTable.inUse());
    }

    /** What a handle holds: its id (the low half of every user_data it submits) and the handler. */
    final class Registration implements IoRegistration {
        final int id;
        final UringIoHandle handle;
        /**
         * True until {@link #cancel()}; false from the start for a handle that only takes a cancelled registration's
         * late completions ({@link #keepForLateCompletions}). Other threads read it, and may cancel.
         */
        private final AtomicBoolean valid;
        /** Takes a cancelled registration's late completions: never valid, closed in destroy(). */
        private final boolean late;
        /** Set once cancel() has removed the registration and told the handle, on the loop. */
        private boolean forgotten;

        Registration(int id, UringIoHandle handle, boolean valid) {
            this.id = id;
            this.handle = handle;
            this.valid = new AtomicBoolean(valid);
            this.late = !valid;
        }

        UringIoHandler handler() {
            return UringIoHandler.this;
        }

        long userData(int op, int data) {
            return UringIoHandler.userData(id, op, data);
        }

        @SuppressWarnings("unchecked")
        @Override
        public <T> T attachment() {
            return (T) this; // Ringline's channels find their Registration through the loop's wrapper
        }

        /**
         * Prepares a third-party handle's operation; from another thread, as a task of the loop (which wakes it), as
         * Netty's io_uring and epoll registrations do.
         */
        @Override
        public long submit(IoOps ops) {
            if (!isValid()) {
                return -1;
            }
            UringIoOps o = (UringIoOps) ops;
            long userData = userData(o.op(), o.data()) | FOREIGN_OP;
            if (inLoop()) {
                prep(o, userData);
            } else {
                executor.execute(() -> {
                    if (isValid()) {
                        prep(o, userData);
                    }
                });
            }
            return userData;
        }

        private void prep(UringIoOps o, long userData) {
            submissionQueue.prep(o.opcode(), o.flags(), o.ioprio(), o.fd(), o.offset(), o.address(), o.length(),
                    o.opFlags(), o.bufferIndex(), userData);
        }

        @Override
        public boolean isValid() {
            return valid.get();
        }

        /**
         * Cancels every operation on the handle's fd and forgets the handle; their late completions are dropped,
         * unless the handle keeps the id for them ({@link #keepForLateCompletions}). From another thread the loop
         * does this in a task (Netty's registrations take cancel() from any thread); the registration is invalid at
         * once.
         */
        @Override
        public boolean cancel() {
            if (!valid.compareAndSet(true, false)) {
                return false;
            }
            if (inLoop()) {
                forget();
            } else {
                try {
                    executor.execute(this::forget);
                } catch (RejectedExecutionException e) {
                    // The loop is ending: destroy() forgets every registration it still holds.
                }
            }
            return true;
        }

        /** Whether cancel() was called but has not yet forgotten the handle (it was called on another thread). */
        boolean cancelPending() {
            return !late && !forgotten && !valid.get();
        }

        private void forget() {
            if (forgotten) {
                return;
            }
            forgotten = true;
            int fd = handle.fd();
            if (fd >= 0 && !destroyed) {
                submissionQueue.prepCancelFd(fd, UringIoHandler.userData(0, OP_CANCEL, 0));
                try {
                    // Now, not at the next pass: the channel may close its fd first (deregister().addListener(close)),
                    // and a cancel by fd issued after that finds no file, or another one under the same number, while
                    // the operations it missed keep the socket alive.
                    ring.submit();
                } catch (IOException e) {
                    logger.warn("io_uring: cannot submit the cancellation of fd {}'s operations now; the next pass "
                            + "submits it", fd, e);
                }
            }
            if (registrations.get(id) == this) {
                registrations.remove(id);
            }
            handle.unregistered();
        }
    }
}
