package io.ringline.uring;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.EventLoop;
import io.netty.channel.FileRegion;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.ChannelOutputShutdownEvent;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.PromiseNotifier;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.ringline.uring.linux.Errno;
import io.ringline.uring.linux.IoUringStructs.Iovec;
import io.ringline.uring.linux.IoUringStructs.MsgHdr;
import io.ringline.uring.linux.SockAddr;
import io.ringline.uring.ring.BufferPool;
import io.ringline.uring.ring.SubmissionQueue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.linux.IoUringConstants.IORING_CQE_BUFFER_SHIFT;
import static io.ringline.uring.linux.IoUringConstants.IORING_CQE_F_BUFFER;
import static io.ringline.uring.linux.IoUringConstants.IORING_CQE_F_SOCK_NONEMPTY;
import static io.ringline.uring.linux.IoUringConstants.IORING_OP_WRITEV_FIXED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A TCP connection on io_uring: Ringline's {@link SocketChannel}, a drop-in for {@code NioSocketChannel} and
 * {@code EpollSocketChannel}.
 *
 * <p>Reads: with the loop's buffer pool, one multishot recv stays armed while {@code AUTO_READ} is on, and each
 * completion becomes a {@code ByteBuf} wrapping the pool slot the kernel filled; with {@code AUTO_READ} off each
 * {@code read()} is one recv. Without the pool each recv fills a buffer from {@code RCVBUF_ALLOCATOR}, and so does
 * a connection's recv while the pool is exhausted (every slot taken, at its cap; see {@link UringBufferPoolEvent}).
 * {@code channelReadComplete} fires once per loop pass that delivered data, after every completion of that pass,
 * so an echo flushes once per pass. {@code MaxMessagesPerRead} bounds reads per pass only in the allocator path
 * (a multishot recv delivers what arrived).
 *
 * <p>Writes: one send in flight at a time, gathering every flushed buffer (up to 64), with SEND (one buffer) or
 * SENDMSG from the buffers' own memory, so an echoed pool slot goes out from the slot itself. With
 * {@link UringIoHandlerConfig#setRegisteredBuffers registered buffers} a lone pool slot goes out with WRITE_FIXED,
 * several with WRITEV_FIXED where the kernel has it (6.15). Heap buffers are copied to direct memory once.
 */
public class UringSocketChannel extends AbstractUringChannel implements SocketChannel {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(UringSocketChannel.class);

    private static final int MAX_IOVECS = 64;
    /**
     * Scratch for one gathering send: its iovecs and, after them, its msghdr. One request, so that the scratch area
     * cannot wrap (and be reused by later sends of the same pass) between the iovecs and the msghdr that points at them.
     */
    private static final int SEND_SCRATCH = (int) (Iovec.SIZE * MAX_IOVECS + MsgHdr.SIZE);
    /** send(2) flag: no SIGPIPE on a connection the peer closed. */
    private static final int MSG_NOSIGNAL = 0x4000;
    /** poll(2): the peer shut its side down (or closed). */
    private static final int POLLRDHUP = 0x2000;

    private final UringSocketChannelConfig config;
    /** This connection's index in the ring's fixed file table, or -1: its operations then name its fd. */
    private int fixedFile = -1;
    // Read state.
    /**
     * A receive found the loop's pool exhausted (every slot taken, no room to grow): EXHAUSTED fired, and receives go
     * into {@code RCVBUF_ALLOCATOR} buffers until the pool has free slots again and one fills a slot (AVAILABLE).
     */
    private boolean poolExhausted;
    private boolean rdHupArmed;
    /** The peer half-closed: read until EOF whatever AUTO_READ and the allocator say (epoll's receivedRdHup). */
    private boolean rdHupReceived;
    private ByteBuf recvBuffer;
    /** A read buffer could not be allocated: the channel is told once, then closes. */
    private boolean readAllocationFailed;
    // Write state.
    private boolean sendInFlight;
    private final Gather gather = new Gather();
    private ByteBuf fileRegionChunk;
    /** A shutdownOutput() that waits for the send in flight to complete (see {@link #shutdownOutput0}). */
    private ChannelPromise shutdownOutputAfterSend;
    /** A close() that waits for the send in flight to complete (see {@link SocketUnsafe#prepareToClose}). */
    private CloseAfterSend closeAfterSend;
    /** Bytes the send in flight asked the kernel for: when it reports them all, the socket had room for them. */
    private long sendLength;
    /** The outbound buffer the send in flight is from; Netty's unsafe forgets it as soon as close() starts. */
    private ChannelOutboundBuffer sendingFrom;
    // Connect state.
    private ChannelPromise connectPromise;
    private ScheduledFuture<?> connectTimeout;
    private InetSocketAddress requestedRemoteAddress;
    private volatile boolean inputShutdown;
    /** The input's EOF was seen and reported (ChannelInputShutdownReadComplete), once. */
    private boolean inputEofSeen;
    private volatile boolean outputShutdown;

    /** A new, unconnected socket. */
    public UringSocketChannel() {
        this(null, newSocket(), false);
    }

    UringSocketChannel(UringServerSocketChannel parent, LinuxSocket socket, boolean active) {
        super(parent, socket, active);
        this.config = new UringSocketChannelConfig(this);
        if (parent != null && active) {
            // Accepted: learn the addresses now, as NIO and epoll do at accept. Asked for lazily they are gone once
            // the socket has closed (the peer's, once it reset the connection).
            remoteAddress = socket.remoteAddress();
            localAddress = socket.localAddress();
        }
    }

    @Override
    public ServerSocketChannel parent() {
        return (ServerSocketChannel) super.parent();
    }

    @Override
    public UringSocketChannelConfig config() {
        return config;
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) super.localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) super.remoteAddress();
    }

    @Override
    protected AbstractUringUnsafe newUnsafe() {
        return new SocketUnsafe();
    }

    @Override
    void handle(UringIoEvent event) {
        switch (event.op()) {
            case OP_RECV -> recvCompleted(event.res(), event.flags());
            case OP_SEND -> sendCompleted(event.res());
            case OP_CONNECT -> connectCompleted(event.res());
            case OP_POLL_RDHUP -> rdHupCompleted(event.res());
            default -> throw new IllegalStateException("unexpected completion for " + this + ": " + event);
        }
    }

    // ---------------------------------------------------------------- reads

    @Override
    int readOp() {
        return OP_RECV;
    }

    @Override
    void armRead() {
        if (readArmed || inputShutdown || !isActive() || !isRegisteredWithRing() || lateCompletions != null
                || isClosing()) {
            return;
        }
        SubmissionQueue queue = submissionQueue();
        BufferPool pool = handler().bufferPool();
        RecvByteBufAllocator.Handle allocHandle = unsafe().recvBufAllocHandle();
        if (!isReadCompleteScheduled() && !readLoop) {
            allocHandle.reset(config); // a new read loop
        }
        // Back to the pool as soon as it has a free slot; until then (the pool exhausted) copy as NIO does.
        if (pool != null && (!poolExhausted || pool.hasFreeSlots())) {
            // Multishot only with Netty's adaptive allocator: a custom RecvByteBufAllocator sizes and counts reads
            // itself, which a multishot recv (the kernel receives ahead, a slot at a time) cannot honour.
            if (config.isAutoRead() && handler().multishotRecv() && !rdHupReceived
                    && config.getRecvByteBufAllocator() instanceof AdaptiveRecvByteBufAllocator) {
                queue.prepRecvMultishot(socket.fd(), pool.groupId(), 0, userData(OP_RECV, 0));
                onFixedFile();
                readMultishot = true;
            } else {
                // At most what the allocator asks for, as in the allocator path (a slot at most).
                int length = Math.min(allocHandle.guess(), pool.slotSize());
                allocHandle.attemptedBytesRead(length); // a full read means maybe more: continueReading() asks
                queue.prepRecvBufferSelect(socket.fd(), pool.groupId(), length, 0, userData(OP_RECV, 0));
                onFixedFile();
                readMultishot = false;
            }
        } else {
            if (pool != null) {
                handler().counters().allocatorReadsWhilePoolExhausted++;
            }
            ByteBuf buffer = null;
            try {
                buffer = allocHandle.allocate(config.getAllocator());
                if (!buffer.isDirect() || buffer.nioBufferCount() != 1) {
                    ByteBuf direct = config.getAllocator().directBuffer(buffer.capacity());
                    buffer.release();
                    buffer = direct;
                }
            } catch (Throwable t) {
                // As NIO's read does: the channel hears of it and closes (no read is armed, so it could not go on).
                // Not thrown: from the loop's after-completions task an Error would end the event loop itself.
                ReferenceCountUtil.release(buffer);
                readPending = false;
                if (readAllocationFailed) {
                    return; // told already; the close is under way
                }
                readAllocationFailed = true;
                eventLoop().execute(() -> readFailed(t));
                return;
            }
            recvBuffer = buffer;
            allocHandle.attemptedBytesRead(buffer.writableBytes());
            queue.prepRecv(socket.fd(), addressOf(buffer, buffer.writerIndex(), buffer.writableBytes()),
                    buffer.writableBytes(), 0, userData(OP_RECV, 0));
            onFixedFile();
            readMultishot = false;
        }
        readArmed = true;
    }

    /**
     * Aims the operation just prepared on {@code socket.fd()} at the same socket through its fixed file, which
     * spares the kernel the fd lookup (fget/fput) per operation. Cancelling by fd still matches it: both name the
     * same open file.
     */
    private void onFixedFile() {
        if (fixedFile >= 0) {
            submissionQueue().useFixedFileOnLast(fixedFile);
        }
    }

    private void releaseFixedFile() {
        if (fixedFile >= 0) {
            handler().removeFixedFile(fixedFile);
            fixedFile = -1;
        }
    }

    @Override
    void unregisteredFromRing() {
        CloseAfterSend waiting = closeAfterSend;
        closeNowIfWaiting(); // the send's completion goes to this ring no more
        if (waiting != null && waiting.wasActive && !isActive()) {
            // Netty's deregistration task under way sets registered = false before the close's own
            // fireChannelInactiveAndDeregister runs, which then fires nothing: fire channelInactive here, before
            // that task's channelUnregistered, as NIO orders them.
            pipeline().fireChannelInactive();
        }
        super.unregisteredFromRing();
        releaseFixedFile(); // the index means nothing to the ring of another loop
        rdHupArmed = false;
        ChannelPromise connecting = connectPromise;
        if (connecting != null) {
            // Its completion would reach the ring this channel leaves, and a socket whose handshake is under way
            // cannot start another connect (EALREADY): fail now rather than when the timeout fires on the old loop.
            connectPromise = null;
            if (connectTimeout != null) {
                connectTimeout.cancel(false);
                connectTimeout = null;
            }
            connecting.tryFailure(new ConnectException("connect to " + requestedRemoteAddress + " abandoned: the "
                    + "channel left its event loop while connecting; close it and connect a new one"));
        }
        LateCompletions late = lateCompletions;
        if (late != null && recvBuffer != null && late.oldHandler() == handler()) {
            late.holdReadBuffer(recvBuffer); // the receive still in flight may write into it
            recvBuffer = null;
        }
        if (recvBuffer != null) {
            recvBuffer.release(); // its receive was cancelled with the registration
            recvBuffer = null;
        }
    }

    @Override
    void registeredWithRing() {
        if (socket.isOpen()) {
            fixedFile = handler().installFixedFile(socket.fd());
        }
        if (active) {
            armRdHup(); // an accepted connection
        }
    }

    @Override
    boolean isSendInFlight() {
        return sendInFlight;
    }

    @Override
    boolean isClosing() {
        return closeAfterSend != null;
    }

    @Override
    void lateSendEnded(int res) {
        if (res == LateCompletions.SEND_OUTCOME_UNKNOWN) {
            // Resending could duplicate bytes and skipping could lose some: neither is safe.
            sendInFlight = false;
            ((AbstractUringUnsafe) unsafe()).closeOnError(new IOException("the event loop this channel moved away from "
                    + "shut down before its ring reported how much of a send in flight went out"));
            closeNowIfWaiting(); // a close() that waited for this send: closeOnError's close was a no-op then
            return;
        }
        // The kernel reports what a send got out even when cancelled midway; -ECANCELED means nothing went. Either way
        // the rest goes out from here, as after any short send.
        sendCompleted(res == -Errno.ECANCELED ? 0 : res);
    }

    @Override
    Object lateReadMessage(LateCompletions late, int res, int flags) {
        ByteBuf buffer = late.takeReadBuffer();
        if ((flags & IORING_CQE_F_BUFFER) != 0) {
            int slot = flags >>> IORING_CQE_BUFFER_SHIFT;
            if (res <= 0) {
                late.oldHandler().giveBackSlot(slot);
                return null;
            }
            // A copy: the slot belongs to the old loop's pool, which only the old loop's thread may recycle.
            ByteBuf received = late.oldHandler().takeSlot(slot, res, config.getAllocator());
            try {
                return alloc().directBuffer(res).writeBytes(received);
            } finally {
                received.release();
            }
        }
        if (res > 0 && buffer != null) {
            return buffer.writerIndex(buffer.writerIndex() + res);
        }
        ReferenceCountUtil.release(buffer);
        return null;
    }

    @Override
    void lateReadDelivering(Object message) {
        RecvByteBufAllocator.Handle allocHandle = unsafe().recvBufAllocHandle();
        allocHandle.lastBytesRead(((ByteBuf) message).readableBytes());
        allocHandle.incMessagesRead(1);
    }

    @Override
    void lateReadEnded(int res) {
        if (res == 0) {
            readPending = false;
            inputClosedByPeer();
        } else if (res < 0 && res != -Errno.ECANCELED && res != -Errno.ENOBUFS) {
            readFailed(Errno.newIOException("recv", -res));
        } else if (config.isAutoRead() || readPending || rdHupReceived) {
            armRead(); // after a half-closure, on to the end of stream whatever AUTO_READ says (see rdHupCompleted)
        }
    }

    /** Notice the peer's half-closure even with no read pending (AUTO_READ off), as epoll's EPOLLRDHUP does. */
    private void armRdHup() {
        if (rdHupArmed || !isOpen() || !isRegisteredWithRing()) {
            return;
        }
        submissionQueue().prepPollAdd(socket.fd(), POLLRDHUP, userData(OP_POLL_RDHUP, 0));
        onFixedFile();
        rdHupArmed = true;
    }

    private void rdHupCompleted(int res) {
        rdHupArmed = false;
        if (res < 0 || !isOpen() || inputShutdown || isClosing()) {
            return; // cancelled by close, or closing
        }
        rdHupReceived = true;
        if (!readArmed && !readLoop) {
            armRead(); // read what is left, then the EOF (or the error), whatever AUTO_READ says
        }
    }

    private void recvCompleted(int res, int flags) {
        boolean multishot = readMultishot;
        readCompleted(flags);
        ByteBuf buffer;
        boolean pooled = (flags & IORING_CQE_F_BUFFER) != 0;
        if (pooled) {
            buffer = res > 0
                    ? handler().takeSlot(flags >>> IORING_CQE_BUFFER_SHIFT, res, config.getAllocator()) : null;
        } else {
            buffer = recvBuffer;
            recvBuffer = null;
        }
        if (!isOpen() || isClosing()) {
            ReferenceCountUtil.release(buffer); // closed, or closing: nothing is read after close(), as with NIO
            return;
        }
        RecvByteBufAllocator.Handle allocHandle = unsafe().recvBufAllocHandle();
        if (res > 0) {
            if (multishot && !readLoop && !isReadCompleteScheduled()) {
                // The first receive of a read loop, from a multishot recv armed in an earlier one: reset() the handle
                // as armRead() does for a single-shot recv, so that its totals are this loop's (as NIO's and epoll's).
                allocHandle.reset(config);
            }
            if (!pooled) {
                buffer.writerIndex(buffer.writerIndex() + res);
            } else if (poolExhausted) {
                poolExhausted = false; // the first read into a slot since the pool ran dry
                pipeline().fireUserEventTriggered(UringBufferPoolEvent.AVAILABLE);
                if (!isOpen() || isClosing()) {
                    // closed on AVAILABLE, or closing (waiting for a send): nothing is read after close(), as with NIO
                    buffer.release();
                    if (readLoop) {
                        scheduleReadComplete(); // the read loop under way still ends with channelReadComplete
                    }
                    return;
                }
            }
            allocHandle.lastBytesRead(res);
            allocHandle.incMessagesRead(1);
            readPending = false;
            readLoop = true;
            pipeline().fireChannelRead(buffer);
            // After the peer's half-closure the socket holds data or the EOF whatever SOCK_NONEMPTY says; either way
            // a read loop is at most what the allocator allows (MaxMessagesPerRead), and the next one follows it
            // (readsOn), as epoll's do.
            if (!readArmed && isOpen() && (rdHupReceived || (flags & IORING_CQE_F_SOCK_NONEMPTY) != 0)
                    && allocHandle.continueReading()) {
                armRead(); // the same read loop goes on; its channelReadComplete comes when it ends
                if (readArmed) {
                    return;
                }
            }
            scheduleReadComplete();
            return;
        }
        ReferenceCountUtil.release(buffer);
        if (res == 0) {
            allocHandle.lastBytesRead(-1);
            readPending = false;
            inputClosedByPeer();
        } else if (res == -Errno.ENOBUFS) {
            noBuffers();
        } else if (res == -Errno.ECANCELED) {
            if (readLoop) {
                scheduleReadComplete(); // the read loop under way ends (and re-arms if reading is wanted)
            } else if (!isReadCompleteScheduled() && (config.isAutoRead() || readPending)) {
                // AUTO_READ off and on again: nothing was read, so no channelReadComplete (NIO fires none); read on.
                armRead();
            }
        } else {
            readFailed(Errno.newIOException("recv", -res));
        }
    }

    @Override
    boolean readsOn() {
        return rdHupReceived; // read what is left, then the EOF (or the error), whatever AUTO_READ says
    }

    @Override
    void beforeReadComplete() {
        unsafe().recvBufAllocHandle().readComplete();
    }

    private void noBuffers() {
        BufferPool pool = handler().bufferPool();
        // The kernel found the buffer ring empty somewhere in its last batch of receives, possibly for many
        // connections at once. If slots are free by now (completions of that batch gave some back, published before
        // the receive armed here reaches the kernel), this one is stale: just receive again. Only when every slot is
        // taken is the pool short: it grows, once per shortage rather than once per connection.
        if (pool.hasFreeSlots()) {
            armRead();
            return;
        }
        handler().counters().noBufferEvents++;
        boolean grew = false;
        try {
            grew = pool.canGrow() && pool.grow();
        } catch (IOException e) {
            pipeline().fireExceptionCaught(e);
        }
        if (grew) {
            armRead();
            return;
        }
        // The pool cannot take more. Pausing reads until slots come back is no answer: the slots may be held until
        // more of this very data is read (a decoder keeps a partial frame's first buffer), so nothing would ever be
        // read again. Receive into RCVBUF_ALLOCATOR buffers instead, as NIO does, until the pool has free slots.
        // End the read loop under way first (a peer's half-closure keeps one going until EOF): handlers that flush
        // in channelReadComplete hold their received slots until it fires, and those slots could serve the next
        // receives without a copy.
        boolean newlyExhausted = !poolExhausted;
        poolExhausted = true; // from here on, a read() in channelReadComplete too arms an allocator receive
        fireReadCompleteNow();
        if (!isOpen()) {
            return;
        }
        if (newlyExhausted) {
            pipeline().fireUserEventTriggered(UringBufferPoolEvent.EXHAUSTED);
            if (!isOpen()) {
                return;
            }
        }
        if (config.isAutoRead() || readPending || rdHupReceived) {
            armRead();
        }
    }

    private void inputClosedByPeer() {
        fireReadCompleteNow(); // before the shutdown events
        if (!isOpen()) {
            return;
        }
        if (inputShutdown) {
            // Half-closed already, or our own shutdownInput() ended the input (the receive armed before it reports
            // EOF): as with NIO and epoll the channel stays open, whatever ALLOW_HALF_CLOSURE says.
            if (!inputEofSeen) {
                inputEofSeen = true;
                pipeline().fireUserEventTriggered(ChannelInputShutdownReadComplete.INSTANCE);
            }
            return;
        }
        if (config.isAllowHalfClosure()) {
            inputShutdown = true;
            inputEofSeen = true;
            pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
            pipeline().fireUserEventTriggered(ChannelInputShutdownReadComplete.INSTANCE);
        } else {
            unsafe().close(unsafe().voidPromise());
        }
    }

    private void readFailed(Throwable cause) {
        fireReadCompleteNow();
        if (cause instanceof IOException && config.isAllowHalfClosure() && !inputShutdown && isOpen()) {
            // As NIO and epoll: a receive that failed (the peer reset the connection) ends the input as an end of
            // stream would. The handler hears why, then sees the input shut down; the output is its to use or close.
            pipeline().fireExceptionCaught(cause);
            if (!isOpen() || inputShutdown) {
                return;
            }
            try {
                socket.shutdown(true, false);
            } catch (java.nio.channels.NotYetConnectedException | IOException ignored) {
                // The reset ended the connection already (ENOTCONN): its input is over all the same.
            }
            inputShutdown = true;
            inputEofSeen = true;
            pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
            if (isOpen()) {
                pipeline().fireUserEventTriggered(ChannelInputShutdownReadComplete.INSTANCE);
            }
            return;
        }
        ((AbstractUringUnsafe) unsafe()).closeOnError(cause);
    }

    // ---------------------------------------------------------------- writes

    @Override
    protected Object filterOutboundMessage(Object msg) throws Exception {
        if (shutdownOutputAfterSend != null) {
            // shutdownOutput() was called: it waits for the send in flight only; later writes fail as with NIO.
            throw new java.nio.channels.ClosedChannelException();
        }
        if (msg instanceof ByteBuf buffer) {
            if (buffer.isDirect() && !(buffer instanceof CompositeByteBuf c && hasHeapComponent(c))) {
                return msg;
            }
            int readable = buffer.readableBytes();
            ByteBuf direct = config.getAllocator().directBuffer(readable);
            direct.writeBytes(buffer, buffer.readerIndex(), readable);
            buffer.release();
            if (isRegisteredWithRing()) {
                handler().counters().bytesCopiedOnWrite += readable;
            }
            return direct;
        }
        if (msg instanceof FileRegion) {
            return msg;
        }
        throw new UnsupportedOperationException("unsupported message type: " + msg.getClass().getName()
                + " (expected ByteBuf or FileRegion)");
    }

    private static boolean hasHeapComponent(CompositeByteBuf composite) {
        for (int i = 0; i < composite.numComponents(); i++) {
            if (!composite.component(i).isDirect()) {
                return true;
            }
        }
        return false;
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) throws Exception {
        if (sendInFlight || !isRegisteredWithRing() || lateCompletions != null) {
            return; // after a move, sends wait for the old ring's last word (lateCompletionsFinished flushes then)
        }
        Object message = in.current();
        if (message == null) {
            return;
        }
        sendingFrom = in;
        if (message instanceof FileRegion region) {
            writeFileRegion(in, region);
            return;
        }
        UringIoHandler handler = handler();
        if (in.size() == 1 || !(in.current() instanceof ByteBuf)) {
            writeOne((ByteBuf) message);
        } else {
            writeGathering(handler, in);
        }
        sendInFlight = true;
    }

    private void writeOne(ByteBuf buffer) throws IOException {
        UringIoHandler handler = handler();
        int readable = buffer.readableBytes();
        if (buffer instanceof PoolSlotByteBuf slot && handler.ownsSlot(slot)) {
            handler.counters().poolSlotSends++;
            int fixedIndex = handler.bufferPool().fixedBufferIndex(slot.slot());
            if (fixedIndex >= 0) {
                sendLength = readable;
                submissionQueue().prepWriteFixed(socket.fd(), slot.address(buffer.readerIndex()), readable, 0,
                        (short) fixedIndex, userData(OP_SEND, 0));
                onFixedFile();
                handler.counters().fixedSends++;
                return;
            }
        }
        if (buffer.nioBufferCount() == 1) {
            sendLength = readable;
            submissionQueue().prepSend(socket.fd(), addressOf(buffer, buffer.readerIndex(), readable), readable,
                    MSG_NOSIGNAL, userData(OP_SEND, 0));
            onFixedFile();
            handler.counters().plainSends++;
            return;
        }
        long iovecs = handler.scratch(SEND_SCRATCH);
        int count = addIovecs(buffer, iovecs, 0);
        sendLength = iovecBytes(iovecs, count);
        prepSendmsg(handler, iovecs, count);
    }

    private void writeGathering(UringIoHandler handler, ChannelOutboundBuffer in) throws Exception {
        Gather gather = this.gather;
        gather.start(handler, handler.scratch(SEND_SCRATCH));
        in.forEachFlushedMessage(gather);
        int count = gather.count;
        sendLength = iovecBytes(gather.iovecs, count);
        if (count == 0) {
            // Only empty buffers were flushed: let the completion path remove them.
            submissionQueue().prepNop(userData(OP_SEND, 0));
            return;
        }
        if (gather.fixedIndex >= 0 && handler.ring().supportsOpcode(IORING_OP_WRITEV_FIXED)) {
            submissionQueue().prepWritevFixed(socket.fd(), gather.iovecs, count, 0, (short) gather.fixedIndex,
                    userData(OP_SEND, 0));
            onFixedFile();
            handler.counters().fixedSends++;
        } else {
            prepSendmsg(handler, gather.iovecs, count);
        }
        if (gather.onlyPoolSlots) {
            handler.counters().poolSlotSends++;
        }
    }

    /**
     * Collects flushed buffers into iovecs for one gathering send; one instance per channel, so the write path
     * allocates nothing.
     */
    private static final class Gather implements ChannelOutboundBuffer.MessageProcessor {
        private UringIoHandler handler;
        long iovecs;
        int count;
        /** The fixed buffer every iovec lies in: -2 none yet, -1 not all in one registered chunk. */
        int fixedIndex;
        /** Every iovec so far lies in one of this loop's pool slots. */
        boolean onlyPoolSlots;

        void start(UringIoHandler handler, long iovecs) {
            this.handler = handler;
            this.iovecs = iovecs;
            this.count = 0;
            this.fixedIndex = -2;
            this.onlyPoolSlots = true;
        }

        @Override
        public boolean processMessage(Object message) {
            if (!(message instanceof ByteBuf buffer)) {
                return false; // a FileRegion: written on its own once the buffers before it are out
            }
            if (!buffer.isReadable()) {
                return true;
            }
            if (buffer instanceof PoolSlotByteBuf slot && handler.ownsSlot(slot)) {
                if (count == MAX_IOVECS) {
                    return false;
                }
                int fixed = handler.bufferPool().fixedBufferIndex(slot.slot());
                if (count > 0 && fixed >= 0 && fixedIndex >= 0 && fixed != fixedIndex) {
                    return false; // another chunk of the pool: its own WRITEV_FIXED, next
                }
                fixedIndex = fixedIndex == -2 || fixedIndex == fixed ? fixed : -1;
                writeIovec(iovecs, count++, slot.address(buffer.readerIndex()), buffer.readableBytes());
                return true;
            }
            boolean fits = count + buffer.nioBufferCount() <= MAX_IOVECS;
            if (!fits && count > 0) {
                return false;
            }
            fixedIndex = -1;
            onlyPoolSlots = false;
            // A buffer of more parts than one send takes goes out a prefix at a time (removeBytes counts what went).
            count = addIovecs(buffer, iovecs, count);
            return fits;
        }
    }

    /** A SENDMSG of the {@code count} iovecs at {@code iovecs}, a {@link #SEND_SCRATCH} area; its msghdr goes last. */
    private void prepSendmsg(UringIoHandler handler, long iovecs, int count) {
        long msghdr = iovecs + Iovec.SIZE * MAX_IOVECS;
        MemorySegment header = MemorySegment.ofAddress(msghdr).reinterpret(MsgHdr.SIZE);
        header.fill((byte) 0);
        header.set(JAVA_LONG, MsgHdr.IOV, iovecs);
        header.set(JAVA_LONG, MsgHdr.IOVLEN, count);
        submissionQueue().prepSendmsg(socket.fd(), msghdr, MSG_NOSIGNAL, userData(OP_SEND, 0));
        onFixedFile();
        handler.counters().plainSends++;
    }

    /** Adds {@code buffer}'s parts as iovecs from {@code index}, at most up to {@link #MAX_IOVECS} in all. */
    private static int addIovecs(ByteBuf buffer, long iovecs, int index) {
        if (buffer.nioBufferCount() == 1) {
            writeIovec(iovecs, index++, addressOf(buffer, buffer.readerIndex(), buffer.readableBytes()),
                    buffer.readableBytes());
            return index;
        }
        for (ByteBuffer part : buffer.nioBuffers()) {
            if (index == MAX_IOVECS) {
                break;
            }
            if (part.hasRemaining()) {
                writeIovec(iovecs, index++, MemorySegment.ofBuffer(part).address(), part.remaining());
            }
        }
        return index;
    }

    /** The bytes {@code count} iovecs at {@code iovecs} name. */
    private static long iovecBytes(long iovecs, int count) {
        MemorySegment vector = MemorySegment.ofAddress(iovecs).reinterpret((long) count * Iovec.SIZE);
        long bytes = 0;
        for (int i = 0; i < count; i++) {
            bytes += vector.get(JAVA_LONG, i * Iovec.SIZE + Iovec.LEN);
        }
        return bytes;
    }

    private static void writeIovec(long iovecs, int index, long address, int length) {
        MemorySegment iovec = MemorySegment.ofAddress(iovecs + index * Iovec.SIZE).reinterpret(Iovec.SIZE);
        iovec.set(JAVA_LONG, Iovec.BASE, address);
        iovec.set(JAVA_LONG, Iovec.LEN, length);
    }

    /** The native address of {@code buffer}'s byte at {@code index}; the buffer is direct and contiguous. */
    static long addressOf(ByteBuf buffer, int index, int length) {
        if (buffer.hasMemoryAddress()) {
            return buffer.memoryAddress() + index;
        }
        return MemorySegment.ofBuffer(buffer.internalNioBuffer(index, length)).address();
    }

    private void sendCompleted(int res) {
        ChannelOutboundBuffer in = isClosing() ? sendingFrom : unsafe().outboundBuffer();
        if (fileRegionChunk != null) {
            fileRegionSent(in, res);
            return;
        }
        if (in == null || !isOpen()) {
            sendInFlight = false;
            // Closed meanwhile: close() failed and released what was queued. A close() that waited for this send,
            // overtaken by closeForcibly(), still has its promise, events and deregistration to finish.
            closeNowIfWaiting();
            return;
        }
        if (res < 0) {
            sendInFlight = false;
            if (res != -Errno.ECANCELED) {
                ((AbstractUringUnsafe) unsafe()).handleWriteFailure(Errno.newIOException("send", -res));
            }
        } else {
            // The send counts as in flight until removeBytes is done: the write promises and writability events it
            // fires may write and flush, and a send started from there would find a partly sent buffer still at its
            // old reader index and send those bytes twice.
            in.removeBytes(res);
            sendInFlight = false;
        }
        if (stopAfterSend(in, res >= 0 && res == sendLength)) {
            return;
        }
        if (res >= 0 && !in.isEmpty()) {
            ((AbstractUringUnsafe) unsafe()).flushAgain();
        }
    }

    /**
     * FileRegions go out a chunk at a time: {@code transferTo} into a direct buffer, then a send. This serves any
     * FileRegion (DefaultFileRegion's transferTo reads the file with FileChannel), at the cost of one copy.
     */
    private void writeFileRegion(ChannelOutboundBuffer in, FileRegion region) throws Exception {
        if (region instanceof DefaultFileRegion file) {
            file.open(); // one made from a java.io.File opens it lazily, and validating reads its size
            validateFileRegion(file, region.transferred());
        }
        long remaining = region.count() - region.transferred();
        if (remaining <= 0) {
            in.remove();
            // flushAgain() would be a no-op here: we are inside flush0 (its inFlush0 guard). Go on directly.
            doWrite(in);
            return;
        }
        int chunkSize = (int) Math.min(remaining, 64 * 1024);
        ByteBuf chunk = config.getAllocator().directBuffer(chunkSize);
        ByteBuffer target = chunk.internalNioBuffer(0, chunkSize);
        WritableByteChannel sink = new WritableByteChannel() {
            @Override
            public int write(ByteBuffer src) {
                int n = Math.min(src.remaining(), target.remaining());
                ByteBuffer slice = src.slice(src.position(), n);
                target.put(slice);
                src.position(src.position() + n);
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
        long read;
        try {
            read = region.transferTo(sink, region.transferred());
        } catch (IOException | RuntimeException e) {
            chunk.release();
            throw e;
        }
        if (read <= 0) {
            chunk.release();
            throw new IOException("FileRegion " + region + " transferred nothing at position " + region.transferred()
                    + " of " + region.count());
        }
        chunk.writerIndex((int) read);
        fileRegionChunk = chunk;
        submissionQueue().prepSend(socket.fd(), addressOf(chunk, 0, (int) read), (int) read, MSG_NOSIGNAL,
                userData(OP_SEND, 0));
        onFixedFile();
        handler().counters().plainSends++;
        sendInFlight = true;
    }

    private void fileRegionSent(ChannelOutboundBuffer in, int res) {
        ByteBuf chunk = fileRegionChunk;
        if (in == null || !isOpen() || res < 0) {
            fileRegionChunk = null;
            chunk.release();
            sendInFlight = false;
            if (in != null && isOpen()) {
                if (res != -Errno.ECANCELED) {
                    ((AbstractUringUnsafe) unsafe()).handleWriteFailure(Errno.newIOException("send", -res));
                }
                stopAfterSend(in, false);
            }
            return;
        }
        in.progress(res);
        chunk.skipBytes(res);
        boolean chunkSent = !chunk.isReadable();
        if (!chunkSent && !isStopWaiting()) {
            // A short send. transferTo counted the whole chunk as transferred when it read it, so the rest of the
            // chunk must go out before the region is read any further.
            int remaining = chunk.readableBytes();
            submissionQueue().prepSend(socket.fd(), addressOf(chunk, chunk.readerIndex(), remaining), remaining,
                    MSG_NOSIGNAL, userData(OP_SEND, 0));
            onFixedFile();
            handler().counters().plainSends++;
            return;
        }
        fileRegionChunk = null;
        chunk.release();
        FileRegion region = (FileRegion) in.current();
        if (chunkSent && region != null && region.transferred() >= region.count()) {
            in.remove(); // its listeners may flush: the send counts as in flight until the region is gone
        }
        sendInFlight = false;
        if (stopAfterSend(in, false)) { // a file region's next chunk is read only when asked for: stop here
            return;
        }
        if (!in.isEmpty()) {
            ((AbstractUringUnsafe) unsafe()).flushAgain();
        }
    }

    // ---------------------------------------------------------------- connect, shutdown, close

    private void connectCompleted(int res) {
        ChannelPromise promise = connectPromise;
        connectPromise = null;
        if (connectTimeout != null) {
            connectTimeout.cancel(false);
            connectTimeout = null;
        }
        if (promise == null) {
            return; // timed out or cancelled: the channel is closing
        }
        if (res < 0) {
            IOException cause = Errno.newIOException("connect(" + requestedRemoteAddress + ")", -res);
            promise.tryFailure(cause);
            unsafe().closeForcibly();
            unsafe().close(unsafe().voidPromise());
            return;
        }
        active = true;
        remoteAddress = requestedRemoteAddress;
        localAddress = socket.localAddress();
        armRdHup();
        boolean promiseSet = promise.trySuccess();
        pipeline().fireChannelActive();
        if (!promiseSet) {
            unsafe().close(unsafe().voidPromise()); // the user cancelled the connect meanwhile
        } else if (readPending && isOpen()) {
            armRead(); // a read() while connecting (AUTO_READ off): NIO and epoll honour it once connected
        }
    }

    @Override
    protected void doBind(SocketAddress local) throws Exception {
        socket.bind(checkAddress(local));
        localAddress = socket.localAddress();
    }

    /** As NIO: the wildcard as a destination means this host's loopback of the same family. */
    private static InetSocketAddress loopbackForWildcard(InetSocketAddress address) {
        if (!address.getAddress().isAnyLocalAddress()) {
            return address;
        }
        // Address literals: parsed, not looked up.
        return new InetSocketAddress(address.getAddress() instanceof Inet4Address ? "127.0.0.1" : "::1",
                address.getPort());
    }

    private static InetSocketAddress checkAddress(SocketAddress address) {
        if (!(address instanceof InetSocketAddress inet)) {
            throw new UnsupportedOperationException("unsupported address type: " + address);
        }
        if (inet.isUnresolved()) {
            throw new UnresolvedAddressException();
        }
        return inet;
    }

    @Override
    protected void doDisconnect() throws Exception {
        doClose();
    }

    @Override
    void closeResources() {
        releaseFixedFile(); // before the fd closes: while the table holds the socket, close(2) would not end it
        ChannelPromise promise = connectPromise;
        if (promise != null) {
            connectPromise = null;
            promise.tryFailure(new java.nio.channels.ClosedChannelException());
        }
        if (shutdownOutputAfterSend != null) {
            shutdownOutputAfterSend.tryFailure(new java.nio.channels.ClosedChannelException());
            shutdownOutputAfterSend = null;
        }
        if (connectTimeout != null) {
            connectTimeout.cancel(false);
            connectTimeout = null;
        }
        if (recvBuffer != null) {
            recvBuffer.release();
            recvBuffer = null;
        }
        if (fileRegionChunk != null) {
            fileRegionChunk.release();
            fileRegionChunk = null;
        }
    }

    @Override
    protected void doShutdownOutput() throws Exception {
        socket.shutdown(false, true);
        outputShutdown = true;
    }

    @Override
    public boolean isInputShutdown() {
        return inputShutdown || !isOpen();
    }

    @Override
    public boolean isOutputShutdown() {
        return outputShutdown || !isOpen();
    }

    @Override
    public boolean isShutdown() {
        return isInputShutdown() && isOutputShutdown();
    }

    @Override
    public ChannelFuture shutdownOutput() {
        return shutdownOutput(newPromise());
    }

    @Override
    public ChannelFuture shutdownOutput(ChannelPromise promise) {
        EventLoop loop = eventLoop();
        if (loop.inEventLoop()) {
            shutdownOutput0(promise);
        } else {
            loop.execute(() -> shutdownOutput0(promise));
        }
        return promise;
    }

    /**
     * Netty's shutdownOutput fails and releases every queued write at once. With a send in flight the kernel still
     * holds some of those buffers, and what it takes of them is as good as written (NIO's synchronous write would
     * have put it in the socket): so cancel that send, and shut the output down once its completion says how much
     * went out. {@code writeAndFlush(msg); shutdownOutput()} then delivers msg whenever the socket had room for it.
     */
    private void shutdownOutput0(ChannelPromise promise) {
        if (!sendInFlight || !isRegisteredWithRing()) {
            ((AbstractUnsafe) unsafe()).shutdownOutput(promise);
        } else if (shutdownOutputAfterSend != null) {
            shutdownOutputAfterSend.addListener(new PromiseNotifier<>(promise));
        } else {
            if (!isClosing()) { // a waiting close() cancelled the send already
                cancelSend();
            }
            shutdownOutputAfterSend = promise;
        }
    }

    private void cancelSend() {
        submissionQueue().prepCancel(userData(OP_SEND, 0), 0, UringIoHandler.userData(0, UringIoHandler.OP_CANCEL, 0));
    }

    /** A shutdownOutput() or close() waits for the send in flight. */
    private boolean isStopWaiting() {
        return shutdownOutputAfterSend != null || isClosing();
    }

    /**
     * After a send completed: runs the shutdownOutput() and close() that waited for it, and returns whether there
     * were any. If the send went out {@code whole} before its cancellation could stop it, the socket had room, and
     * NIO's synchronous writes would have put what was flushed after it into the socket too, as far as it takes it:
     * so that goes first, in a send cancelled at once as well (the stop then waits for that one).
     */
    private boolean stopAfterSend(ChannelOutboundBuffer in, boolean whole) {
        if (!isStopWaiting()) {
            return false;
        }
        if (whole && isOpen() && !in.isEmpty()) {
            try {
                doWrite(in);
            } catch (Exception e) {
                logger.debug("{}: the send after one that went out whole failed to start; stopping now", this, e);
            }
            if (sendInFlight) {
                cancelSend();
                return true;
            }
        }
        ChannelPromise shutdown = shutdownOutputAfterSend;
        if (shutdown != null) {
            shutdownOutputAfterSend = null;
            if (isClosing()) {
                // close() took Netty's outbound buffer away, so its shutdownOutput would fail: shut down here, as
                // NIO's shutdownOutput() did before the close() that followed it.
                try {
                    doShutdownOutput();
                    shutdown.setSuccess();
                    pipeline().fireUserEventTriggered(ChannelOutputShutdownEvent.INSTANCE);
                } catch (Throwable t) {
                    shutdown.setFailure(t);
                }
            } else {
                ((AbstractUnsafe) unsafe()).shutdownOutput(shutdown);
            }
        }
        closeNowIfWaiting();
        return true;
    }

    /** Runs the close() that waits for the send in flight, if there is one, without waiting any longer. */
    private void closeNowIfWaiting() {
        CloseAfterSend close = closeAfterSend;
        if (close != null) {
            closeAfterSend = null;
            sendingFrom = null;
            close.run();
        }
    }

    @Override
    public ChannelFuture shutdownInput() {
        return shutdownInput(newPromise());
    }

    @Override
    public ChannelFuture shutdownInput(ChannelPromise promise) {
        EventLoop loop = eventLoop();
        if (loop.inEventLoop()) {
            shutdownInput0(promise);
        } else {
            loop.execute(() -> shutdownInput0(promise));
        }
        return promise;
    }

    private void shutdownInput0(ChannelPromise promise) {
        try {
            socket.shutdown(true, false);
            inputShutdown = true;
            promise.setSuccess();
        } catch (Throwable t) {
            promise.setFailure(t);
        }
    }

    @Override
    public ChannelFuture shutdown() {
        return shutdown(newPromise());
    }

    @Override
    public ChannelFuture shutdown(ChannelPromise promise) {
        ChannelFuture output = shutdownOutput();
        if (output.isDone()) {
            shutdownInputAfter(output, promise);
        } else {
            output.addListener((ChannelFuture f) -> shutdownInputAfter(f, promise));
        }
        return promise;
    }

    private void shutdownInputAfter(ChannelFuture output, ChannelPromise promise) {
        ChannelFuture input = shutdownInput();
        input.addListener((ChannelFuture f) -> {
            Throwable cause = output.cause() != null ? output.cause() : f.cause();
            if (cause == null) {
                promise.setSuccess();
            } else {
                promise.setFailure(cause);
            }
        });
    }

    /**
     * With SO_LINGER > 0, close(2) blocks until the unsent data is out or the linger time is up, O_NONBLOCK or not
     * (socket(7)). As NIO and epoll do, that close runs on GlobalEventExecutor, not on the event loop; the ring's part
     * of closing runs here first. Null for a close on the loop.
     */
    private Executor lingeringClose() {
        try {
            if (isOpen() && config.getSoLinger() > 0) {
                closeRingPart();
                if (isRegisteredWithRing()) {
                    // Run the kernel's deferred work now (DEFER_TASKRUN): the cancelled operations drop their
                    // references to the file here, so the close(2) elsewhere is the last one, and lingers there.
                    handler().ring().submitAndWait(0, -1);
                }
                return GlobalEventExecutor.INSTANCE;
            }
        } catch (Exception e) {
            // As epoll does: the socket may have closed meanwhile (getSoLinger() then throws); close on the loop.
        }
        return null;
    }

    /** Netty's close, handed over by prepareToClose's executor, kept until the send in flight completes. */
    private final class CloseAfterSend implements Executor {
        private Runnable close;
        private final boolean wasActive = isActive();

        @Override
        public void execute(Runnable command) {
            close = command;
        }

        void run() {
            Executor lingering = lingeringClose();
            if (lingering != null) {
                lingering.execute(close);
            } else {
                close.run();
            }
        }
    }

    private final class SocketUnsafe extends AbstractUringUnsafe {
        /** Where Netty runs the close: later on the loop after the send in flight, elsewhere to linger, or now (null). */
        @Override
        protected Executor prepareToClose() {
            if (sendInFlight && isOpen() && isRegisteredWithRing() && !eventLoop().isShuttingDown()) {
                // What the kernel takes of the send in flight is as good as written (NIO's synchronous write would
                // have put it in the socket), and Netty fails every flushed write's promise once the close runs. So
                // cancel the send and close once its completion has said how much went out (stopAfterSend), one ring
                // round trip later: writeAndFlush(msg); close() then delivers msg, and reports it sent, whenever the
                // socket had room for it. (Not while the loop shuts down: no round trip may come.)
                if (shutdownOutputAfterSend == null) {
                    cancelSend();
                }
                closeAfterSend = new CloseAfterSend();
                return closeAfterSend;
            }
            return lingeringClose();
        }

        /** Runs a close() that waits for the send in flight now: the loop shuts down. */
        @Override
        public void close() {
            closeNowIfWaiting();
            super.close();
        }

        @Override
        public void connect(SocketAddress remote, SocketAddress local, ChannelPromise promise) {
            if (promise.isDone() || !ensureOpen(promise)) {
                return; // not setUncancellable(): a pending connect can be cancelled, as with NIO and epoll
            }
            try {
                if (connectPromise != null) {
                    throw new ConnectionPendingException();
                }
                if (active) {
                    throw new AlreadyConnectedException();
                }
                InetSocketAddress target = loopbackForWildcard(checkAddress(remote));
                if (local != null) {
                    doBind(local);
                }
                UringIoHandler handler = handler();
                long sockaddr = handler.scratch(SockAddr.STORAGE_SIZE);
                int length = socket.writeAddress(MemorySegment.ofAddress(sockaddr).reinterpret(SockAddr.STORAGE_SIZE),
                        target);
                submissionQueue().prepConnect(socket.fd(), sockaddr, length, userData(OP_CONNECT, 0));
                onFixedFile();
                requestedRemoteAddress = target;
                connectPromise = promise;
                promise.addListener(future -> {
                    if (future.isCancelled() && connectPromise == future) {
                        connectPromise = null;
                        if (connectTimeout != null) {
                            connectTimeout.cancel(false);
                            connectTimeout = null;
                        }
                        close(voidPromise()); // cancels the IORING_OP_CONNECT in flight
                    }
                });
                int timeoutMillis = config.getConnectTimeoutMillis();
                if (timeoutMillis > 0) {
                    connectTimeout = eventLoop().schedule(() -> connectTimedOut(target, timeoutMillis),
                            timeoutMillis, TimeUnit.MILLISECONDS);
                }
            } catch (Throwable t) {
                promise.tryFailure(annotateConnectException(t, remote));
                closeIfClosed();
            }
        }

        private void connectTimedOut(InetSocketAddress target, int timeoutMillis) {
            ChannelPromise promise = connectPromise;
            if (promise == null || promise.isDone()) {
                return;
            }
            connectPromise = null;
            connectTimeout = null;
            promise.tryFailure(new ConnectTimeoutException("connection timed out after " + timeoutMillis + " ms: "
                    + target));
            close(voidPromise());
        }

    }
}
