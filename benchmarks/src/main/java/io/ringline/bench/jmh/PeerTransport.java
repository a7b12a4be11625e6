package io.ringline.bench.jmh;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.ringline.uring.UringIoHandler;
import io.ringline.uring.UringIoHandlerConfig;
import io.ringline.uring.UringServerSocketChannel;

import java.util.function.Supplier;

/** The Netty transports a JMH benchmark can serve on, by the names the runner uses. */
enum PeerTransport {
    RINGLINE("ringline", UringIoHandler::newFactory, UringServerSocketChannel.class),
    /** Ringline without its buffer pool: reads into Netty's allocator (the runner's ringline-nopool). */
    RINGLINE_NOPOOL("ringline-nopool",
            () -> UringIoHandler.newFactory(new UringIoHandlerConfig().setBufferPool(false)),
            UringServerSocketChannel.class),
    /** Ringline with its pool registered as fixed buffers: WRITE_FIXED sends (the runner's ringline-fixed). */
    RINGLINE_FIXED("ringline-fixed",
            () -> UringIoHandler.newFactory(new UringIoHandlerConfig().setRegisteredBuffers(true)),
            UringServerSocketChannel.class),
    NETTY_IOURING("netty-iouring", IoUringIoHandler::newFactory, IoUringServerSocketChannel.class),
    NIO("nio", NioIoHandler::newFactory, NioServerSocketChannel.class),
    EPOLL("epoll", EpollIoHandler::newFactory, EpollServerSocketChannel.class);

    final String cliName;
    final Supplier<IoHandlerFactory> ioHandlerFactory;
    final Class<? extends ServerChannel> serverChannel;

    PeerTransport(String cliName, Supplier<IoHandlerFactory> ioHandlerFactory, Class<? extends ServerChannel> serverChannel) {
        this.cliName = cliName;
        this.ioHandlerFactory = ioHandlerFactory;
        this.serverChannel = serverChannel;
    }

    static PeerTransport byName(String name) {
        for (PeerTransport transport : values()) {
            if (transport.cliName.equals(name)) {
                return transport;
            }
        }
        throw new IllegalArgumentException("unknown transport '" + name + "'");
    }
}
