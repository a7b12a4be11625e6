package io.ringline.uring;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** An echo server on Ringline (or NIO) on 127.0.0.1 and an ephemeral port, for tests. */
final class EchoServerFixture implements AutoCloseable {
    final EventLoopGroup group;
    final Channel server;

    @ChannelHandler.Sharable
    static final class EchoHandler extends ChannelInboundHandlerAdapter {
        static final EchoHandler INSTANCE = new EchoHandler();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private EchoServerFixture(EventLoopGroup group, Class<? extends ServerChannel> channelType, ChannelHandler handler)
            throws InterruptedException {
        this(group, channelType, handler, bootstrap -> { });
    }

    private EchoServerFixture(EventLoopGroup group, Class<? extends ServerChannel> channelType, ChannelHandler handler,
                              Consumer<ServerBootstrap> options) throws InterruptedException {
        this.group = group;
        ServerBootstrap bootstrap = new ServerBootstrap().group(group).channel(channelType).childHandler(handler);
        options.accept(bootstrap);
        this.server = bootstrap.bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    static EchoServerFixture ringline() throws InterruptedException {
        return ringline(new UringIoHandlerConfig(), 1, EchoHandler.INSTANCE);
    }

    static EchoServerFixture ringline(UringIoHandlerConfig config, int threads, ChannelHandler handler)
            throws InterruptedException {
        return new EchoServerFixture(new MultiThreadIoEventLoopGroup(threads, UringIoHandler.newFactory(config)),
                UringServerSocketChannel.class, handler);
    }

    /** As {@link #ringline(UringIoHandlerConfig, int, ChannelHandler)}, with server or child options set by {@code options}. */
    static EchoServerFixture ringline(UringIoHandlerConfig config, int threads, ChannelHandler handler,
                                      Consumer<ServerBootstrap> options) throws InterruptedException {
        return new EchoServerFixture(new MultiThreadIoEventLoopGroup(threads, UringIoHandler.newFactory(config)),
                UringServerSocketChannel.class, handler, options);
    }

    static EchoServerFixture nio() throws InterruptedException {
        return new EchoServerFixture(new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory()),
                NioServerSocketChannel.class, EchoHandler.INSTANCE);
    }

    InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    UringMetrics metrics() {
        return Uring.metrics(group);
    }

    @Override
    public void close() throws IOException {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
