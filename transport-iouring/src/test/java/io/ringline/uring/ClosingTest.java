package io.ringline.uring;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.loopback;
import static io.ringline.uring.TransportTestSupport.oneLoopGroup;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Closing as with NIO (each test runs on both): a lingering close(2) does not stall the event loop, and a channel
 * closed from channelRead still gets its channelReadComplete before channelInactive.
 */
class ClosingTest {
    @ParameterizedTest
    @ValueSource(strings = {"nio", "ringline"})
    void closeWithLingerDoesNotBlockTheEventLoop(String transport) throws Exception {
        boolean nio = transport.equals("nio");
        EventLoopGroup group = oneLoopGroup(transport);
        try (ServerSocket listener = new ServerSocket()) {
            listener.setReceiveBufferSize(16 * 1024);
            listener.bind(loopback(0), 50);
            Channel client = new Bootstrap().group(group)
                    .channel(nio ? NioSocketChannel.class : UringSocketChannel.class)
                    .option(ChannelOption.SO_SNDBUF, 16 * 1024)
                    .option(ChannelOption.SO_LINGER, 3)
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(loopback(listener.getLocalPort())).sync().channel();
            try (Socket peer = listener.accept()) { // never reads: the client's data stays unsent
                client.writeAndFlush(client.alloc().directBuffer(4 << 20).writeZero(4 << 20));
                Thread.sleep(300);
                long start = System.nanoTime();
                client.close();
                Thread.sleep(50); // let the close run on the loop
                long ran = group.next().submit(System::nanoTime).get(10, TimeUnit.SECONDS);
                long stalledMillis = TimeUnit.NANOSECONDS.toMillis(ran - start);
                assertThat(stalledMillis).as("ms until the loop ran the next task after close()").isLessThan(1000);
                client.closeFuture().await(10, TimeUnit.SECONDS);
            }
        } finally {
            shutdown(group);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "ringline"})
    void closeInChannelReadStillEndsTheReadWithChannelReadComplete(String transport) throws Exception {
        boolean nio = transport.equals("nio");
        EventLoopGroup group = oneLoopGroup(transport);
        List<String> events = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> unregistered = new CompletableFuture<>();
        try {
            Channel server = new ServerBootstrap().group(group)
                    .channel(nio ? NioServerSocketChannel.class : UringServerSocketChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            events.add("read");
                            ReferenceCountUtil.release(msg);
                            ctx.close();
                        }

                        @Override
                        public void channelReadComplete(ChannelHandlerContext ctx) {
                            events.add("readComplete");
                        }

                        @Override
                        public void channelInactive(ChannelHandlerContext ctx) {
                            events.add("inactive");
                        }

                        @Override
                        public void channelUnregistered(ChannelHandlerContext ctx) {
                            events.add("unregistered");
                            unregistered.complete(null);
                        }
                    }).bind(loopback(0)).sync().channel();
            try (Socket client = new Socket()) {
                client.connect(server.localAddress());
                client.getOutputStream().write(new byte[] {1, 2, 3});
                unregistered.get(5, TimeUnit.SECONDS);
                assertThat(events).containsExactly("read", "readComplete", "inactive", "unregistered");
            } finally {
                server.close().sync();
            }
        } finally {
            shutdown(group);
        }
    }
}
