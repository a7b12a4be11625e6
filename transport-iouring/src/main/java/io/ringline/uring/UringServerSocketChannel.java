package io.ringline.uring;

import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ServerSocketChannel;
import io.ringline.uring.linux.Errno;
import io.ringline.uring.linux.LibC;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.UnresolvedAddressException;


/**
 * A listening TCP socket on io_uring: Ringline's {@link ServerSocketChannel}. While {@code AUTO_READ} is on one
 * multishot accept (5.19) stays armed and every completion is a new {@link UringSocketChannel}; with it off, or
 * without multishot, each {@code read()} is one accept.
 */
public class UringServerSocketChannel extends AbstractUringChannel implements ServerSocketChannel {
    private final UringServerSocketChannelConfig config;

    public UringServerSocketChannel() {
        super(null, newSocket(), false);
        this.config = new UringServerSocketChannelConfig(this);
    }

    @Override
    public UringServerSocketChannelConfig config() {
        return config;
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) super.localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return null;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return null;
    }

    @Override
    protected AbstractUringUnsafe newUnsafe() {
        return new ServerUnsafe();
    }

    @Override
    protected void doBind(SocketAddress local) throws Exception {
        if (!(local instanceof InetSocketAddress address)) {
            throw new UnsupportedOperationException("unsupported address type: " + local);
        }
        if (address.isUnresolved()) {
            throw new UnresolvedAddressException();
        }
        socket.bind(address);
        socket.listen(config.getBacklog());
        localAddress = socket.localAddress();
        active = true;
        if (readPending) {
            armRead(); // a read() before bind (AUTO_READ off): NIO and epoll honour it once bound
        }
    }

    @Override
    int readOp() {
        return OP_ACCEPT;
    }

    @Override
    void armRead() {
        if (readArmed || !isActive() || !isRegisteredWithRing() || lateCompletions != null) {
            return;
        }
        int flags = LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC;
        if (config.isAutoRead() && handler().config().isMultishotAccept()) {
            submissionQueue().prepMultishotAccept(socket.fd(), flags, userData(OP_ACCEPT, 0));
            readMultishot = true;
        } else {
            submissionQueue().prepAccept(socket.fd(), 0, 0, flags, userData(OP_ACCEPT, 0));
            readMultishot = false;
        }
        readArmed = true;
    }

    @Override
    void handle(UringIoEvent event) {
        if (event.op() != OP_ACCEPT) {
            throw new IllegalStateException("unexpected completion for " + this + ": " + event);
        }
        int res = event.res();
        readCompleted(event.flags());
        if (!isOpen()) {
            if (res >= 0) {
                LibC.close(res); // accepted while we closed: nobody will serve it
            }
            return;
        }
        if (res >= 0) {
            readPending = false;
            scheduleReadComplete();
            pipeline().fireChannelRead(new UringSocketChannel(this, LinuxSocket.accepted(res, socket.family()), true));
        } else if (res == -Errno.ECANCELED) {
            // The accept was cancelled (AUTO_READ off): it accepted nothing, so no channelReadComplete, as with NIO.
            // Reading wanted again meanwhile (AUTO_READ back on, read()): arm now, or when this pass's read loop ends.
            if (!isReadCompleteScheduled() && (config.isAutoRead() || readPending)) {
                armRead();
            }
        } else {
            // EMFILE, ENFILE, ENOBUFS...: the listener itself is fine; tell the pipeline and keep accepting.
            scheduleReadComplete();
            pipeline().fireExceptionCaught(Errno.newIOException("accept", -res));
        }
    }

    @Override
    Object lateReadMessage(LateCompletions late, int res, int flags) {
        return res >= 0 ? new UringSocketChannel(this, LinuxSocket.accepted(res, socket.family()), true) : null;
    }

    @Override
    void lateReadEnded(int res) {
        if (res < 0 && res != -Errno.ECANCELED) {
            pipeline().fireExceptionCaught(Errno.newIOException("accept", -res));
        }
        if (config.isAutoRead() || readPending) {
            armRead();
        }
    }

    @Override
    protected void doDisconnect() {
        throw new UnsupportedOperationException();
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) {
        throw new UnsupportedOperationException();
    }

    @Override
    protected Object filterOutboundMessage(Object msg) {
        throw new UnsupportedOperationException();
    }

    private final class ServerUnsafe extends AbstractUringUnsafe {
        @Override
        public void connect(SocketAddress remote, SocketAddress local, ChannelPromise promise) {
            promise.setFailure(new UnsupportedOperationException("a server channel does not connect"));
        }
    }
}
