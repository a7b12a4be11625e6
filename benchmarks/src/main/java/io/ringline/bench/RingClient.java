package io.ringline.bench;

import io.ringline.uring.linux.Errno;
import io.ringline.uring.linux.LibC;
import io.ringline.uring.linux.SockAddr;
import io.ringline.uring.linux.SocketOptions;
import io.ringline.uring.ring.BufferRing;
import io.ringline.uring.ring.CompletionHandler;
import io.ringline.uring.ring.CompletionQueue;
import io.ringline.uring.ring.FileTable;
import io.ringline.uring.ring.Ring;
import io.ringline.uring.ring.RingOptions;
import io.ringline.uring.ring.SubmissionQueue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static io.ringline.uring.linux.IoUringConstants.IORING_CQE_BUFFER_SHIFT;
import static io.ringline.uring.linux.IoUringConstants.IORING_CQE_F_BUFFER;
import static io.ringline.uring.linux.IoUringConstants.IORING_CQE_F_MORE;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * ONE thread drives every connection through a Ringline {@link Ring} (the transport's io_uring core, no Netty), the
 * way the Ringline transport drives a server: every socket sits in the ring's fixed file table, a multishot receive
 * per connection lands echoes in provided buffers (compared in place, then handed back), and each pass of the loop
 * submits the sends the previous completions prepared and waits for the next ones in one io_uring_enter(2).
 * Against the selector client that saves a write(2) and a read(2) per request, and re-arming a poll for every
 * receive: near the top the load client's own CPU per request caps req/s, whatever the server.
 *
 * <p>The ring is SINGLE_ISSUER, so the driver thread does everything with it: sets it up, connects the sockets
 * (one after another, so a burst cannot overflow the server's accept backlog), runs the load, and at the end shuts
 * the sockets down, reaps what that completes, and closes it. Memory the kernel reads or writes (the pattern, the
 * provided buffers) is freed only after that.
 */
final class RingClient extends SingleDriverClient {
    /** Upper bound on one wait; stop() wakes the loop through the eventfd, this only bounds a missed wakeup. */
    private static final long WAIT_TIMEOUT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** How long the end of the run waits for the operations of shut-down sockets before giving up on them. */
    private static final Duration FINAL_REAP = Duration.ofSeconds(2);
    /** Beyond the connect timeout, for the driver to report how set-up went. */
    private static final Duration SET_UP_SLACK = Duration.ofSeconds(1);
    private static final int MAX_SQ_ENTRIES = 4096;
    private static final int MAX_BUFFER_RING_ENTRIES = 32768;
    private static final int MAX_BUFFER_SIZE = 64 * 1024;
    private static final short BUFFER_GROUP = 0;

    // user_data: connection index << 2 | kind; the wake-up read has index 0.
    private static final int KIND_BITS = 2;
    private static final int KIND_CONNECT = 0;
    private static final int KIND_SEND = 1;
    private static final int KIND_RECV = 2;
    private static final int KIND_WAKE = 3;

    private final Duration connectTimeout;
    private final Arena arena = Arena.ofShared();
    private final int wakeFd;
    private final MemorySegment wakeBuffer;
    /** Payload's pattern in native memory: every send reads its slice; nothing writes it after construction. */
    private final MemorySegment pattern;
    private final Payload payload;
    private final int bufferSize;
    private final int bufferCount;
    private final MemorySegment buffers;
    private final Connection[] connections;
    private final CompletableFuture<Void> setUp = new CompletableFuture<>();
    private final CountDownLatch started = new CountDownLatch(1);
    private final CompletionHandler onCompletion = this::complete;
    /** False when the kernel never reported every operation: the memory it may still touch is then leaked. */
    private volatile boolean memoryReleasable;

    // Driver-thread state.
    private Ring ring;
    private SubmissionQueue submissionQueue;
    private BufferRing bufferRing;
    private FileTable fileTable;
    private int openConnections;
    /** Operations submitted and not yet finished (a multishot receive counts until its last completion). */
    private int operationsInFlight;
    /** Result of the connect in flight during set-up; {@link Integer#MIN_VALUE} while none came. */
    private int connectResult;

    /** Opens every connection; the driver thread is waiting for {@link #start()} when this returns. */
    static RingClient connect(LoadSpec spec, Duration timeout) throws IOException {
        // Room for two receive completions per connection between two hand-backs.
        int buffers = Math.min(MAX_BUFFER_RING_ENTRIES, Integer.highestOneBit(Math.max(64, 2 * spec.connections()) - 1) << 1);
        return connect(spec, timeout, buffers);
    }

    /** As above with {@code bufferCount} provided buffers (a power of two); tests make receives run out. */
    static RingClient connect(LoadSpec spec, Duration timeout, int bufferCount) throws IOException {
        RingClient client = new RingClient(spec, timeout, bufferCount);
        try {
            client.setUp.get(timeout.plus(SET_UP_SLACK).toNanos(), TimeUnit.NANOSECONDS);
            return client;
        } catch (ExecutionException e) {
            client.close();
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException("load client set-up failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            client.close();
            throw new ConnectException("timed out setting up " + spec.connections() + " connections");
        } catch (InterruptedException e) {
            client.close();
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while connecting");
        }
    }

    private RingClient(LoadSpec spec, Duration connectTimeout, int bufferCount) throws IOException {
        super(spec, "echo-load-ring");
        this.connectTimeout = connectTimeout;
        int length = spec.length();
        this.payload = new Payload(length, spec.connections());
        byte[] bytes = payload.bytes();
        this.pattern = arena.allocate(bytes.length, 64);
        MemorySegment.copy(bytes, 0, pattern, JAVA_BYTE, 0, bytes.length);
        this.bufferSize = Math.min(length, MAX_BUFFER_SIZE);
        this.bufferCount = bufferCount;
        this.buffers = arena.allocate((long) bufferSize * bufferCount, 64);
        this.connections = new Connection[spec.connections()];
        for (int i = 0; i < connections.length; i++) {
            connections[i] = new Connection(i);
        }
        this.wakeBuffer = arena.allocate(JAVA_LONG);
        int eventFd = LibC.eventfd(0, LibC.EFD_CLOEXEC);
        if (eventFd < 0) {
            arena.close();
            throw Errno.newIOException("eventfd", -eventFd);
        }
        this.wakeFd = eventFd;
        driver.start(); // sets the ring up and connects; the load waits for start()
    }

    @Override
    public void start() {
        started.countDown();
    }

    @Override
    void wakeDriver() {
        started.countDown(); // a client stopped before it started just cleans up
        wake();
    }

    @Override
    Duration finishAllowance() {
        return FINAL_REAP;
    }

    @Override
    public void close() {
        if (driver.isAlive()) {
            stop(Duration.ZERO);
        }
        if (driver.isAlive() || !memoryReleasable) {
            return; // the kernel may still use the memory; leaking it beats corrupting the heap
        }
        if (wakeBuffer.scope().isAlive()) {
            LibC.close(wakeFd);
            arena.close();
        }
    }

    /** Completes the wake-up read; harmless when nothing waits on it (the counter only grows). */
    private void wake() {
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment one = scratch.allocate(JAVA_LONG);
            one.set(JAVA_LONG, 0, 1L);
            LibC.write(wakeFd, one, JAVA_LONG.byteSize());
        }
    }

    @Override
    void drive() {
        try {
            setUpRing();
            connectAll();
        } catch (IOException | RuntimeException e) {
            setUp.completeExceptionally(e);
            finish();
            return;
        }
        setUp.complete(null);
        try {
            started.await();
        } catch (InterruptedException e) {
            stopRequested = true;
        }
        try {
            if (!stopRequested) {
                driveLoad();
            }
        } finally {
            finish();
        }
    }

    private void setUpRing() throws IOException {
        int sqEntries = Integer.highestOneBit(Math.min(MAX_SQ_ENTRIES, 2 * connections.length + 1) - 1) << 1;
        RingOptions options = RingOptions.of(Math.max(8, sqEntries));
        // Room in the completion queue for every operation that can be in flight at once, and then some.
        ring = Ring.open(options.withCqEntries(Math.max(options.cqEntries(), 4 * connections.length + 1)));
        ring.registerRingFd();
        submissionQueue = ring.submissionQueue();
        fileTable = FileTable.register(ring, connections.length);
        bufferRing = BufferRing.register(ring, BUFFER_GROUP, bufferCount);
        for (int id = 0; id < bufferCount; id++) {
            giveBack(id);
        }
        bufferRing.publish();
        operationsInFlight++;
        submissionQueue.prepRead(wakeFd, wakeBuffer.address(), (int) JAVA_LONG.byteSize(), 0, KIND_WAKE);
    }

    private void connectAll() throws IOException {
        int family = spec.address().getAddress() instanceof Inet6Address ? LibC.AF_INET6 : LibC.AF_INET;
        MemorySegment address = arena.allocate(SockAddr.STORAGE_SIZE);
        int addressLength = SockAddr.write(address, family, spec.address());
        MemorySegment one = arena.allocate(JAVA_INT);
        one.set(JAVA_INT, 0, 1);
        long deadline = System.nanoTime() + connectTimeout.toNanos();
        CompletionQueue completionQueue = ring.completionQueue();
        for (int i = 0; i < connections.length; i++) {
            Connection connection = connections[i];
            connection.fd = Errno.check("socket", LibC.socket(family, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0));
            // Requests are sent whole; Nagle would only delay the second segment of large ones.
            Errno.check("setsockopt(TCP_NODELAY)", LibC.setsockopt(connection.fd, SocketOptions.IPPROTO_TCP,
                    SocketOptions.TCP_NODELAY, one, (int) JAVA_INT.byteSize()));
            // The connect takes the plain fd; the table entry serves every later operation.
            connection.fixedFile = fileTable.install(connection.fd);
            connectResult = Integer.MIN_VALUE;
            operationsInFlight++;
            submissionQueue.prepConnect(connection.fd, address.address(), addressLength, tag(i, KIND_CONNECT));
            while (connectResult == Integer.MIN_VALUE) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    // finish() shuts the socket down, which ends the connect still in flight.
                    throw LoadClient.connectTimedOut(i, connections.length);
                }
                ring.submitAndWait(1, remaining);
                completionQueue.drain(onCompletion);
            }
            if (connectResult < 0) {
                throw LoadClient.connectFailed(LibC.strerror(-connectResult), i, connections.length);
            }
            openConnections++;
            connection.armReceive();
        }
    }

    private void driveLoad() {
        try {
            for (Connection connection : connections) {
                connection.startRequest();
            }
            CompletionQueue completionQueue = ring.completionQueue();
            long waitNanos;
            while (openConnections > 0 && (waitNanos = nextWaitNanos(WAIT_TIMEOUT_NANOS)) >= 0) {
                ring.submitAndWait(1, waitNanos);
                completionQueue.drain(onCompletion);
                bufferRing.publish();
            }
        } catch (IOException | RuntimeException e) {
            recordError("load client failed: " + e);
        } finally {
            echoesMissing(connections);
        }
    }

    /**
     * Ends every operation still in flight, then closes the ring and the sockets: shutting a socket down ends its
     * receive (0), a send or a connect; a write to the eventfd ends the wake-up read. If the kernel does not report
     * them all within {@link #FINAL_REAP}, the ring and the memory stay (see close()).
     */
    private void finish() {
        stopRequested = true;
        for (Connection connection : connections) {
            connection.open = false;
            if (connection.fd >= 0) {
                LibC.shutdown(connection.fd, LibC.SHUT_RDWR);
            }
        }
        if (ring == null) {
            closeSockets();
            memoryReleasable = true;
            return;
        }
        wake();
        try {
            long deadline = System.nanoTime() + FINAL_REAP.toNanos();
            CompletionQueue completionQueue = ring.completionQueue();
            while (operationsInFlight > 0 && deadline - System.nanoTime() > 0) {
                ring.submitAndWait(1, Math.min(WAIT_TIMEOUT_NANOS, deadline - System.nanoTime()));
                completionQueue.drain(onCompletion);
            }
        } catch (IOException | RuntimeException e) {
            recordError("load client failed while finishing: " + e);
        }
        if (operationsInFlight > 0) {
            recordError(operationsInFlight + " io_uring operations never completed after their sockets were shut "
                    + "down; the ring and its memory are left in place");
            return;
        }
        if (bufferRing != null) {
            bufferRing.close();
        }
        ring.close(); // on this thread: it registered the ring fd; the fixed file table goes with it
        closeSockets();
        memoryReleasable = true;
    }

    private void closeSockets() {
        for (Connection connection : connections) {
            if (connection.fd >= 0) {
                LibC.close(connection.fd);
                connection.fd = -1;
            }
        }
    }

    private static long tag(int index, int kind) {
        return ((long) index << KIND_BITS) | kind;
    }

    private void giveBack(int bufferId) {
        bufferRing.add(buffers.address() + (long) bufferId * bufferSize, bufferSize, (short) bufferId);
    }

    private void complete(long userData, int res, int flags) {
        int kind = (int) (userData & ((1 << KIND_BITS) - 1));
        if (kind != KIND_RECV || (flags & IORING_CQE_F_MORE) == 0) {
            operationsInFlight--;
        }
        Connection connection = connections[(int) (userData >>> KIND_BITS)];
        switch (kind) {
            case KIND_SEND -> connection.sent(res);
            case KIND_RECV -> connection.received(res, flags);
            case KIND_CONNECT -> connectResult = res;
            default -> { } // the wake-up: stop() or finish(); the loops read the flags they set
        }
    }

    private final class Connection extends DriverConnection {
        private final long sendTag;
        private final long recvTag;
        private final int index;
        private int fd = -1;
        /** The socket's index in the fixed file table. */
        private int fixedFile = -1;
        private boolean open = true;
        private long sequence;
        private int offset;
        private int sentBytes;
        private int receivedBytes;
        private boolean sendPending;
        private boolean differs;
        private long sentAtNanos;
        private long completed;

        Connection(int index) {
            this.sendTag = tag(index, KIND_SEND);
            this.recvTag = tag(index, KIND_RECV);
            this.index = index;
        }

        void armReceive() {
            operationsInFlight++;
            submissionQueue.prepRecvMultishot(fixedFile, BUFFER_GROUP, 0, recvTag);
            submissionQueue.useFixedFileOnLast(fixedFile);
        }

        void startRequest() {
            offset = payload.offset(index, sequence++);
            sentBytes = 0;
            receivedBytes = 0;
            differs = false;
            requestStarted();
            sentAtNanos = System.nanoTime();
            sendRest();
        }

        private void sendRest() {
            sendPending = true;
            operationsInFlight++;
            submissionQueue.prepSend(fixedFile, pattern.address() + offset + sentBytes, spec.length() - sentBytes, 0,
                    sendTag);
            submissionQueue.useFixedFileOnLast(fixedFile);
        }

        void sent(int res) {
            sendPending = false;
            if (!open) {
                return;
            }
            if (res < 0) {
                fail("send failed: " + Errno.describe(-res));
                return;
            }
            sentBytes += res;
            if (sentBytes < spec.length()) {
                sendRest();
                return;
            }
            countRequest();
            if (receivedBytes == spec.length()) {
                finishRequest(); // the echo's last completion came first, in the same batch
            }
        }

        void received(int res, int flags) {
            if ((flags & IORING_CQE_F_BUFFER) != 0) {
                int bufferId = flags >>> IORING_CQE_BUFFER_SHIFT;
                if (open && res > 0) {
                    check(buffers.address() + (long) bufferId * bufferSize, res);
                }
                giveBack(bufferId);
            }
            if (!open) {
                return;
            }
            boolean more = (flags & IORING_CQE_F_MORE) != 0;
            if (res == 0) {
                fail("server closed the connection");
            } else if (res < 0 && res != -Errno.ENOBUFS) {
                fail("receive failed: " + Errno.describe(-res));
            } else if (!more) {
                // The multishot receive ended (ENOBUFS: every buffer was waiting to be handed back; they are now).
                bufferRing.publish();
                armReceive();
            }
        }

        /** Compares {@code length} received bytes at {@code address} with what this request expects next. */
        private void check(long address, int length) {
            if (!awaitingEcho() || receivedBytes + length > spec.length()) {
                fail("server sent " + length + " bytes nobody asked for");
                return;
            }
            long expected = offset + receivedBytes;
            if (MemorySegment.mismatch(buffers, address - buffers.address(), address - buffers.address() + length,
                    pattern, expected, expected + length) != -1) {
                differs = true;
            }
            receivedBytes += length;
            if (receivedBytes == spec.length() && !sendPending) {
                finishRequest();
            }
        }

        private void finishRequest() {
            long roundTripNanos = System.nanoTime() - sentAtNanos;
            completed++;
            echoArrived(!differs, roundTripNanos);
            if (!stopRequested && completed < spec.requestsPerConnection()) {
                startRequest();
            }
        }

        void fail(String description) {
            if (!open) {
                return;
            }
            open = false;
            endRequest();
            recordError(description);
            openConnections--;
            LibC.shutdown(fd, LibC.SHUT_RDWR); // ends the operations still in flight; the fd closes with the client
        }
    }
}
