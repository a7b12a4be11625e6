package io.ringline.uring;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.assertSameBytes;
import static io.ringline.uring.TransportTestSupport.loopback;
import static io.ringline.uring.TransportTestSupport.oneLoopGroup;
import static io.ringline.uring.TransportTestSupport.payload;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Closing as with NIO (each test runs on both): a lingering close(2) does not stall the event loop, a channel closed
 * from channelRead still gets its channelReadComplete before channelInactive, and what was flushed before a close or
 * shutdownOutput goes out.
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

    /**
     * writeAndFlush(a), writeAndFlush(b), then close() or shutdownOutput(), in one task on the loop, to a peer with
     * plenty of room: NIO writes each flush at once, so the peer reads a and b before the end of stream and both
     * promises succeed. Ringline has a send in flight when the stop comes: what it and the sends after it get out
     * must count as written, as far as the socket takes them.
     */
    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource({"nio,close", "ringline,close", "nio,shutdownOutput", "ringline,shutdownOutput"})
    void whatWasFlushedBeforeAStopGoesOutAsWithNio(String transport, String stop) throws Exception {
        EventLoopGroup group = oneLoopGroup(transport);
        try (ServerSocket listener = new ServerSocket()) {
            listener.bind(loopback(0));
            SocketChannel client = (SocketChannel) new Bootstrap().group(group)
                    .channel(transport.equals("nio") ? NioSocketChannel.class : UringSocketChannel.class)
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(loopback(listener.getLocalPort())).sync().channel();
            try (Socket peer = listener.accept()) {
                peer.setSoTimeout(10_000);
                byte[] a = payload(1, 1000);
                byte[] b = payload(2, 1000);
                List<ChannelFuture> writes = client.eventLoop().submit(() -> {
                    List<ChannelFuture> futures = List.of(
                            client.writeAndFlush(Unpooled.directBuffer().writeBytes(a)),
                            client.writeAndFlush(Unpooled.directBuffer().writeBytes(b)));
                    if (stop.equals("close")) {
                        client.close();
                    } else {
                        client.shutdownOutput();
                    }
                    return futures;
                }).get(10, TimeUnit.SECONDS);

                byte[] expected = new byte[2000];
                System.arraycopy(a, 0, expected, 0, 1000);
                System.arraycopy(b, 0, expected, 1000, 1000);
                assertSameBytes(peer.getInputStream().readAllBytes(), expected, "what the peer read before EOF");
                for (ChannelFuture write : writes) {
                    assertThat(write.await(10, TimeUnit.SECONDS)).isTrue();
                    assertThat(write.cause()).as("the write's failure").isNull();
                }
            } finally {
                client.close().sync();
            }
        } finally {
            shutdown(group);
        }
    }
}
