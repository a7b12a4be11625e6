package io.ringline.uring;

import io.netty.channel.AbstractChannel;
import io.netty.channel.Channel;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.ringline.uring.ring.SubmissionQueue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

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
    static final int OP_SPLICE = 14;

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

    @Override
    protected void doClose() throws Exception {
        active = false;
        if (isRegisteredWithRing() && socket.isOpen()) {
            // Cancel what is in flight on the fd and submit now: once submit returns the kernel no longer touches
            // the buffers those operations point at, and Netty may release them right after doClose().
            submissionQueue().prepCancelFd(socket.fd(), UringIoHandler.userData(0, UringIoHandler.OP_CANCEL, 0));
            handler().ring().submit();
        }
        closeResources();
        socket.close();
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

        /** Runs a flush again: after a write completes with more data queued. */
        void flushAgain() {
            flush0();
        }

        void handleWriteFailure(IOException cause) {
            handleWriteError(cause);
        }

        void closeOnError(IOException cause) {
            pipeline().fireExceptionCaught(cause);
            close(voidPromise());
        }
    }
}
