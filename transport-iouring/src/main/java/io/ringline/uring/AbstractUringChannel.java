package io.ringline.uring;

import io.netty.channel.AbstractChannel;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.ringline.uring.linux.IoUringConstants;
import io.ringline.uring.ring.SubmissionQueue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;

/**
 * What Ringline's channels share: the socket, the registration with the loop's {@link UringIoHandler}, and closing
 * with operations in flight. The unsafe is the {@link UringIoHandle} the loop delivers completions to.
 */
abstract class AbstractUringChannel extends AbstractChannel {
    // Operation kinds this package tags SQEs with (UringIoHandler reserves 1 and 2 for its own).
    static final int OP_ACCEPT = 10;
    static final int OP_RECV = 11;
    static final int OP_SEND = 12;
    static final int OP_CONNECT = 13;
    static final int OP_POLL_RDHUP = 15;

    private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);

    final LinuxSocket socket;
    /** What the loop returned for our handle (a wrapper that also counts the loop's registrations). */
    private IoRegistration ioRegistration;
    /** Our handler's own registration inside it: the id our SQEs carry. */
    UringIoHandler.Registration registration;
    volatile boolean active;
    volatile InetSocketAddress localAddress;
    volatile InetSocketAddress remoteAddress;

    AbstractUringChannel(Channel parent, LinuxSocket socket, boolean active) {
        super(parent);
        this.socket = socket;
        this.active = active;
    }

    /** A new TCP socket for a channel the user constructs; fails with the unavailability cause first. */
    static LinuxSocket newSocket() {
        Uring.ensureAvailability();
        try {
            return LinuxSocket.newStream();
        } catch (IOException e) {
            throw new ChannelException("cannot open a TCP socket", e);
        }
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }

    @Override
    public boolean isOpen() {
        return socket.isOpen();
    }

    @Override
    public boolean isActive() {
        return active && socket.isOpen();
    }

    @Override
    protected boolean isCompatible(EventLoop loop) {
        return loop instanceof IoEventLoop ioLoop && ioLoop.isCompatible(AbstractUringUnsafe.class);
    }

    @Override
    protected SocketAddress localAddress0() {
        // Null until bound or connected: Netty caches the first non-null answer.
        InetSocketAddress address = localAddress;
        if (address == null && active && socket.isOpen()) {
            address = socket.localAddress();
            localAddress = address;
        }
        return address;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        InetSocketAddress address = remoteAddress;
        if (address == null && active && socket.isOpen()) {
            address = socket.remoteAddress();
            remoteAddress = address;
        }
        return address;
    }

    UringIoHandler handler() {
        return registration.handler();
    }

    SubmissionQueue submissionQueue() {
        return registration.handler().submissionQueue();
    }

    long userData(int op, int data) {
        return registration.userData(op, data);
    }

    boolean isRegisteredWithRing() {
        return registration != null && registration.isValid();
    }

    @Override
    protected void doRegister(ChannelPromise promise) {
        ((IoEventLoop) eventLoop()).register((AbstractUringUnsafe) unsafe()).addListener(future -> {
            if (future.isSuccess()) {
                ioRegistration = (IoRegistration) future.getNow();
                registration = ioRegistration.attachment();
                registeredWithRing();
                LateCompletions late = lateCompletions;
                if (late != null) {
                    late.resumeOn(eventLoop());
                }
                promise.setSuccess();
            } else {
                promise.setFailure(future.cause());
            }
        });
    }

    @Override
    protected void doDeregister() {
        IoRegistration registered = ioRegistration;
        if (registered != null) {
            ioRegistration = null;
            registered.cancel();
        }
    }

    /** The ring's part of closing ran already (prepareToClose of a lingering close): only close(2) is left. */
    private volatile boolean ringPartClosed;

    @Override
    protected void doClose() throws Exception {
        if (!ringPartClosed) {
            closeRingPart();
        }
        socket.close();
    }

    /** Everything of closing but close(2), on the loop: a lingering close(2) runs elsewhere (see prepareToClose). */
    final void closeRingPart() throws Exception {
        active = false;
        if (isRegisteredWithRing() && socket.isOpen()) {
            // Cancel what is in flight on the fd and submit now: once submit returns the kernel no longer touches
            // the buffers those operations point at, and Netty may release them right after doClose().
            submissionQueue().prepCancelFd(socket.fd(), UringIoHandler.userData(0, UringIoHandler.OP_CANCEL, 0));
            handler().ring().submit();
        }
        closeResources();
        LateCompletions late = lateCompletions;
        if (late != null) {
            lateCompletions = null;
            late.discard();
        }
        ringPartClosed = true;
    }

    // ---- The read side, shared by connections (recv) and listeners (accept): one read operation armed at a time,
    // multishot while AUTO_READ is on, and one channelReadComplete per loop pass that delivered something.

    /** A read operation (recv or accept) is in flight. */
    boolean readArmed;
    /** ... and it is multishot: it stays armed until a completion comes without IORING_CQE_F_MORE. */
    boolean readMultishot;
    /** {@code read()} asked for data that has not come yet (matters with AUTO_READ off). */
    boolean readPending;
    private boolean readCompleteScheduled;
    /**
     * A read loop is under way: from its first completion to its channelReadComplete, possibly across passes (a
     * single-shot recv re-armed because the socket has more and the allocator wants more). read() inside it only
     * sets {@link #readPending}: the loop decides, as epoll's read loop does.
     */
    boolean readLoop;
    private final Runnable readCompleteTask = this::readComplete;
    /** What the ring this channel left still owes it (a read's data, a send's result); reads and sends wait for it. */
    volatile LateCompletions lateCompletions;

    /** The operation kind of this channel's read operation. */
    abstract int readOp();

    /** Arms the read operation unless one is armed or reading cannot go on; sets {@link #readArmed}. */
    abstract void armRead();

    /** Whether the next read loop follows this one whatever AUTO_READ and read() say (a half-closed peer's rest). */
    boolean readsOn() {
        return false;
    }

    /** Runs just before channelReadComplete fires. */
    void beforeReadComplete() {
    }

    @Override
    protected void doBeginRead() {
        readPending = true;
        if (!readLoop) {
            armRead();
        }
    }

    /** Notes a completion of the read operation: without IORING_CQE_F_MORE it is no longer armed. */
    void readCompleted(int flags) {
        if ((flags & IoUringConstants.IORING_CQE_F_MORE) == 0) {
            readArmed = false;
            readMultishot = false;
        }
    }

    boolean isReadCompleteScheduled() {
        return readCompleteScheduled;
    }

    /** Fires channelReadComplete once this pass of completions is handled. */
    void scheduleReadComplete() {
        if (!readCompleteScheduled) {
            readCompleteScheduled = true;
            handler().afterCompletions(readCompleteTask);
        }
    }

    /** Fires a scheduled channelReadComplete now (before an event that must follow it); the scheduled one is void. */
    void fireReadCompleteNow() {
        if (readCompleteScheduled || readLoop) {
            readCompleteScheduled = false;
            readLoop = false;
            beforeReadComplete();
            pipeline().fireChannelReadComplete();
        }
    }

    private void readComplete() {
        if (!readCompleteScheduled) {
            return;
        }
        fireReadCompleteNow(); // also when channelRead closed the channel: NIO and epoll end that read loop too
        if (!isOpen()) {
            return;
        }
        if (config().isAutoRead() || readPending || readsOn()) {
            armRead();
        } else if (readMultishot) {
            cancelRead();
        }
    }

    /**
     * AUTO_READ went off (the config calls this from whichever thread set it): cancel the armed read, a single-shot
     * one too (it would deliver one more read); what it already received is still delivered.
     */
    final void autoReadCleared() {
        if (!isRegistered()) {
            return; // set as an option before registration (eventLoop() would throw): no read is armed yet
        }
        if (eventLoop().inEventLoop()) {
            cancelReadAfterAutoReadOff();
        } else {
            eventLoop().execute(this::cancelReadAfterAutoReadOff);
        }
    }

    private void cancelReadAfterAutoReadOff() {
        readPending = false;
        if (readArmed && isRegisteredWithRing()) {
            cancelRead();
        }
    }

    private void cancelRead() {
        submissionQueue().prepCancel(userData(readOp(), 0), 0, UringIoHandler.userData(0, UringIoHandler.OP_CANCEL, 0));
        readMultishot = false; // its last completion (-ECANCELED, or data without F_MORE) clears readArmed
    }

    /** Runs once the registration with the ring is known, before channelRegistered (and channelActive). */
    void registeredWithRing() {
    }

    /**
     * The ring forgot this channel (deregistration, or close): its in-flight operations were cancelled, so nothing
     * counts as armed any more; an open channel keeps what its read and send still complete ({@link LateCompletions}).
     * A later registration (Netty lets a channel move to another event loop) arms afresh on the new ring.
     */
    void unregisteredFromRing() {
        boolean reading = readArmed;
        boolean sending = isSendInFlight();
        readArmed = false;
        readMultishot = false;
        // While the results of an earlier ring are still to come, the channel neither reads nor sends (it waits for
        // them): whatever looks in flight is in flight there, not here.
        if ((reading || sending) && isOpen() && lateCompletions == null) {
            // What the read still brings and what the send got out, once the old ring says, go to the new loop.
            LateCompletions late = new LateCompletions(this, registration.handler(), registration.id, reading,
                    sending);
            registration.handler().keepForLateCompletions(registration.id, late);
            lateCompletions = late;
        }
    }

    /** A close() was called and waits (for the send in flight) before it closes the socket. */
    boolean isClosing() {
        return false;
    }

    /** A send is in flight: its completion is still to come. */
    boolean isSendInFlight() {
        return false;
    }

    /**
     * On the new loop, first: the send in flight as the channel left its old ring got {@code res} out (bytes, or a
     * negative errno; -ECANCELED when the cancellation stopped it before it sent anything).
     */
    void lateSendEnded(int res) {
    }

    /**
     * On the old loop: what a late completion of the read operation brings, as a message for the pipeline (null for
     * none), with whatever it carries given back to the old loop.
     */
    abstract Object lateReadMessage(LateCompletions late, int res, int flags);

    /** On the new loop, for each message of the late read just before it fires. */
    void lateReadDelivering(Object message) {
    }

    /** On the new loop, after the late read's messages: its last completion said {@code res}; act on it or read on. */
    abstract void lateReadEnded(int res);

    /**
     * The operations left in flight on the previous ring have finished: apply the send's result, deliver what the read
     * brought as one read loop, then how it ended.
     */
    void lateCompletionsFinished(LateCompletions late) {
        if (lateCompletions != late || !isRegisteredWithRing() || !eventLoop().inEventLoop()) {
            return; // closed (what came is discarded) or moving again (the next registration resumes it)
        }
        lateCompletions = null;
        if (late.hadSend()) {
            lateSendEnded(late.sendResult());
        }
        ArrayDeque<Object> messages = late.takeMessages();
        if (!isOpen() || isClosing()) {
            // The send's outcome closed the channel, or a close() waits for a send (nothing is read after close()).
            messages.forEach(LateCompletions::drop);
            return;
        }
        if (!messages.isEmpty()) {
            unsafe().recvBufAllocHandle().reset(config());
            readPending = false;
            readLoop = true;
            Object message;
            while ((message = messages.poll()) != null) {
                lateReadDelivering(message);
                pipeline().fireChannelRead(message);
            }
            fireReadCompleteNow();
        }
        if (isOpen()) {
            lateReadEnded(late.readEnd());
        }
        if (isOpen() && !isSendInFlight()) {
            ((AbstractUringUnsafe) unsafe()).flushAgain(); // what was written while the old ring still owed its word
        }
    }

    /** Releases what the channel holds beside its socket; runs in {@link #doClose()}. */
    void closeResources() {
    }

    /** Handles one completion of an operation this channel submitted. */
    abstract void handle(UringIoEvent event);

    abstract class AbstractUringUnsafe extends AbstractUnsafe implements UringIoHandle {
        @Override
        public void handle(IoRegistration registration, IoEvent event) {
            AbstractUringChannel.this.handle((UringIoEvent) event);
        }

        @Override
        public int fd() {
            return socket.isOpen() ? socket.fd() : -1;
        }

        @Override
        public void close() {
            close(voidPromise());
        }

        @Override
        public void unregistered() {
            unregisteredFromRing();
        }

        /** Runs a flush again: after a write completes with more data queued. */
        void flushAgain() {
            flush0();
        }

        void handleWriteFailure(IOException cause) {
            handleWriteError(cause);
        }

        void closeOnError(Throwable cause) {
            pipeline().fireExceptionCaught(cause);
            close(voidPromise());
        }
    }
}
