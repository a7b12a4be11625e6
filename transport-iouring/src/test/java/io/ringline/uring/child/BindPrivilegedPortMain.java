package io.ringline.uring.child;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.ringline.uring.UringIoHandler;
import io.ringline.uring.UringServerSocketChannel;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Child-JVM program, run unprivileged: binds a NIO and a Ringline listener to 127.0.0.1:80 (below
 * ip_unprivileged_port_start, so the kernel refuses with EACCES) and prints, per transport, whether the failure is a
 * {@link BindException}, and the failure itself.
 */
public final class BindPrivilegedPortMain {
    private BindPrivilegedPortMain() { }

    public static void main(String[] args) throws Exception {
        bind("nio", new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory()), NioServerSocketChannel.class);
        bind("ringline", new MultiThreadIoEventLoopGroup(1, UringIoHandler.newFactory()),
                UringServerSocketChannel.class);
    }

    private static void bind(String transport, EventLoopGroup group, Class<? extends ServerChannel> type)
            throws Exception {
        try {
            ChannelFuture bind = new ServerBootstrap().group(group).channel(type)
                    .childHandler(new ChannelInboundHandlerAdapter())
                    .bind(new InetSocketAddress("127.0.0.1", 80)).await();
            Throwable cause = bind.cause();
            System.out.println(transport + " BIND_EXCEPTION " + (cause instanceof BindException) + " " + cause);
            bind.channel().close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
