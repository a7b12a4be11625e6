package io.ringline.uring.child;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.ringline.uring.Uring;
import io.ringline.uring.UringIoHandler;
import io.ringline.uring.UringIoHandlerConfig;
import io.ringline.uring.UringMetrics;
import io.ringline.uring.UringServerSocketChannel;

import java.io.DataInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Arrays;

/**
 * Child-JVM program: prints io_uring's availability; if available, runs a Ringline echo server with the default
 * configuration (plus registered buffers when the first argument is {@code registered}), echoes 64 KiB through it
 * and prints {@code ECHO OK} and the loop's metrics.
 */
public final class EchoOnceMain {
    private EchoOnceMain() { }

    @ChannelHandler.Sharable
    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }
    }

    public static void main(String[] args) throws Exception {
        System.out.println("AVAILABLE " + Uring.isAvailable());
        if (!Uring.isAvailable()) {
            System.out.println("CAUSE " + Uring.unavailabilityCause().getMessage());
            return;
        }
        boolean registered = args.length > 0 && args[0].equals("registered");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
                UringIoHandler.newFactory(new UringIoHandlerConfig().setRegisteredBuffers(registered)));
        try {
            Channel server = new ServerBootstrap().group(group).channel(UringServerSocketChannel.class)
                    .childHandler(new Echo()).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            byte[] payload = new byte[64 * 1024];
            Arrays.fill(payload, (byte) 7);
            try (Socket socket = new Socket("127.0.0.1", ((InetSocketAddress) server.localAddress()).getPort())) {
                socket.getOutputStream().write(payload);
                byte[] echoed = new DataInputStream(socket.getInputStream()).readNBytes(payload.length);
                System.out.println(Arrays.equals(payload, echoed) ? "ECHO OK" : "ECHO MISMATCH");
            }
            UringMetrics metrics = Uring.metrics(group);
            System.out.println("METRICS " + metrics);
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 5, java.util.concurrent.TimeUnit.SECONDS).sync();
        }
    }
}
