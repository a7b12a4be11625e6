package io.ringline.uring;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.LOOPBACK;
import static io.ringline.uring.TransportTestSupport.assertSameBytes;
import static io.ringline.uring.TransportTestSupport.await;
import static io.ringline.uring.TransportTestSupport.loopback;
import static io.ringline.uring.TransportTestSupport.payload;
import static io.ringline.uring.TransportTestSupport.seconds;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static io.ringline.uring.TransportTestSupport.uringGroup;
import static org.assertj.core.api.Assertions.assertThat;

/** Half-closed connections: either side shuts its output while the other direction keeps flowing. */
class HalfClosureTest {
    private final EventLoopGroup group = uringGroup(1);

    @AfterEach
    void shutdownGroup() {
        shutdown(group);
    }

    /** Records what a connection sees: its bytes, and its events in order. */
    static class Recorder extends ChannelInboundHandlerAdapter {
        final List<String> events = new CopyOnWriteArrayList<>();
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final CompletableFuture<Channel> inactive = new CompletableFuture<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buffer = (ByteBuf) msg;
            try {
                synchronized (received) {
                    buffer.readBytes(received, buffer.readableBytes());
                }
            } catch (IOException e) {
                throw new AssertionError(e);
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            events.add(evt.getClass().getSimpleName());
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            events.add("inactive");
            inactive.complete(ctx.channel());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            events.add("exception: " + cause);
            inactive.completeExceptionally(cause);
            ctx.close();
        }

        byte[] bytes() {
            synchronized (received) {
                return received.toByteArray();
            }
        }
    }

    /** Replies with how much it received once the peer shut its output, then closes. */
    static final class ReplyOnInputShutdown extends Recorder {
        volatile boolean activeAtShutdown;
        volatile boolean inputShutdownAtShutdown;
        volatile boolean outputShutdownAtShutdown;

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            super.userEventTriggered(ctx, evt);
            if (evt instanceof ChannelInputShutdownEvent) {
                SocketChannel channel = (SocketChannel) ctx.channel();
                activeAtShutdown = channel.isActive();
                inputShutdownAtShutdown = channel.isInputShutdown();
                outputShutdownAtShutdown = channel.isOutputShutdown();
                ctx.writeAndFlush(Unpooled.copiedBuffer("received " + bytes().length, StandardCharsets.US_ASCII))
                        .addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    /** Our client, with {@code handler} in its pipeline, connected to {@code listener}. */
    private SocketChannel connectClient(ServerSocket listener, Recorder handler) throws InterruptedException {
        return (SocketChannel) new Bootstrap().group(group).channel(UringSocketChannel.class).handler(handler)
                .connect(loopback(listener.getLocalPort())).sync().channel();
    }

    private static byte[] readToEnd(InputStream in) throws IOException {
        return in.readAllBytes();
    }

    @Test
    void ourServerSeesThePeerShutItsOutputAndStillWrites() throws Exception {
        ReplyOnInputShutdown handler = new ReplyOnInputShutdown();
        Channel server = new ServerBootstrap().group(group).channel(UringServerSocketChannel.class)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(handler)
                .bind(loopback(0)).sync().channel();
        try (Socket peer = new Socket(LOOPBACK, ((InetSocketAddress) server.localAddress()).getPort())) {
            peer.setSoTimeout(10_000);
            byte[] request = payload(1, 100_000);
            peer.getOutputStream().write(request);
            peer.shutdownOutput();
            assertThat(new String(readToEnd(peer.getInputStream()), StandardCharsets.US_ASCII))
                    .isEqualTo("received " + request.length);
            handler.inactive.get(10, TimeUnit.SECONDS);
            assertSameBytes(handler.bytes(), request, "what we received");
            assertThat(handler.events).containsExactly(ChannelInputShutdownEvent.class.getSimpleName(),
                    ChannelInputShutdownReadComplete.class.getSimpleName(), "inactive");
            assertThat(handler.activeAtShutdown).as("active after the input shut down").isTrue();
            assertThat(handler.inputShutdownAtShutdown).as("isInputShutdown").isTrue();
            assertThat(handler.outputShutdownAtShutdown).as("isOutputShutdown").isFalse();
        } finally {
            server.close().sync();
        }
    }

    @Test
    void ourClientSeesThePeerShutItsOutputAndStillWrites() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 50, LOOPBACK)) {
            ReplyOnInputShutdown handler = new ReplyOnInputShutdown();
            Channel client = new Bootstrap().group(group).channel(UringSocketChannel.class)
                    .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .handler(handler)
                    .connect(loopback(listener.getLocalPort())).sync().channel();
            try (Socket peer = listener.accept()) {
                peer.setSoTimeout(10_000);
                byte[] greeting = payload(2, 50_000);
                peer.getOutputStream().write(greeting);
                peer.shutdownOutput();
                assertThat(new String(readToEnd(peer.getInputStream()), StandardCharsets.US_ASCII))
                        .isEqualTo("received " + greeting.length);
                assertThat(client.closeFuture().await(10, TimeUnit.SECONDS)).isTrue();
                assertSameBytes(handler.bytes(), greeting, "what we received");
                assertThat(handler.events).startsWith(ChannelInputShutdownEvent.class.getSimpleName());
                assertThat(handler.activeAtShutdown).isTrue();
            }
        }
    }

    @Test
    void withoutHalfClosureThePeerShuttingItsOutputClosesTheChannel() throws Exception {
        Recorder handler = new Recorder();
        Channel server = new ServerBootstrap().group(group).channel(UringServerSocketChannel.class)
                .childHandler(handler)
                .bind(loopback(0)).sync().channel();
        try (Socket peer = new Socket(LOOPBACK, ((InetSocketAddress) server.localAddress()).getPort())) {
            peer.setSoTimeout(10_000);
            peer.getOutputStream().write(new byte[] {1, 2, 3});
            peer.shutdownOutput();
            handler.inactive.get(10, TimeUnit.SECONDS);
            assertThat(handler.bytes()).containsExactly(1, 2, 3);
            assertThat(handler.events).doesNotContain(ChannelInputShutdownEvent.class.getSimpleName())
                    .endsWith("inactive");
            assertThat(peer.getInputStream().read()).as("the peer sees our close").isEqualTo(-1);
        } finally {
            server.close().sync();
        }
    }

    /**
     * Our own shutdownInput() ends the input, so the receive armed before it reports EOF. Unlike the peer's shutdown,
     * that must not close the channel when ALLOW_HALF_CLOSURE is off (NIO and epoll keep it open for writing too): it
     * fires ChannelInputShutdownReadComplete once, and the output keeps working.
     */
    @Test
    void withoutHalfClosureOurOwnShutdownInputKeepsTheChannelOpenForWriting() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 50, LOOPBACK)) {
            Recorder handler = new Recorder();
            SocketChannel client = connectClient(listener, handler);
            try (Socket peer = listener.accept()) {
                peer.setSoTimeout(10_000);
                client.shutdownInput().sync();
                await(() -> handler.events.contains(ChannelInputShutdownReadComplete.class.getSimpleName()), seconds(10),
                        "the armed receive's EOF");
                assertThat(client.isOpen()).as("open after its own shutdownInput()").isTrue();
                assertThat(client.isInputShutdown()).isTrue();

                client.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {42})).sync();
                assertThat(peer.getInputStream().read()).isEqualTo(42);
                assertThat(handler.events).containsExactly(ChannelInputShutdownReadComplete.class.getSimpleName());
            } finally {
                client.close().sync();
            }
        }
    }

    @Test
    void ourServerShutsItsOutputAndKeepsReading() throws Exception {
        byte[] greeting = "greeting".getBytes(StandardCharsets.US_ASCII);
        CompletableFuture<Boolean> outputShutdown = new CompletableFuture<>();
        Recorder handler = new Recorder() {
            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                SocketChannel channel = (SocketChannel) ctx.channel();
                ctx.writeAndFlush(Unpooled.wrappedBuffer(greeting)).addListener(written ->
                        channel.shutdownOutput().addListener(shut -> {
                            if (shut.isSuccess()) {
                                outputShutdown.complete(channel.isOutputShutdown() && !channel.isInputShutdown());
                            } else {
                                outputShutdown.completeExceptionally(shut.cause());
                            }
                        }));
            }
        };
        Channel server = new ServerBootstrap().group(group).channel(UringServerSocketChannel.class)
                .childHandler(handler)
                .bind(loopback(0)).sync().channel();
        try (Socket peer = new Socket(LOOPBACK, ((InetSocketAddress) server.localAddress()).getPort())) {
            peer.setSoTimeout(10_000);
            assertSameBytes(readToEnd(peer.getInputStream()), greeting, "what the peer reads before EOF");
            assertThat(outputShutdown.get(10, TimeUnit.SECONDS)).as("output shut, input open").isTrue();
            byte[] request = payload(3, 200_000);
            peer.getOutputStream().write(request);
            peer.shutdownOutput();
            handler.inactive.get(10, TimeUnit.SECONDS);
            assertSameBytes(handler.bytes(), request, "what we read after our output shut down");
        } finally {
            server.close().sync();
        }
    }

    @Test
    void ourClientShutsItsOutputFromAnotherThreadAndKeepsReading() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 50, LOOPBACK)) {
            Recorder handler = new Recorder();
            SocketChannel client = connectClient(listener, handler);
            try (Socket peer = listener.accept()) {
                peer.setSoTimeout(10_000);
                byte[] request = payload(4, 70_000);
                client.writeAndFlush(Unpooled.wrappedBuffer(request));
                assertThat(client.shutdownOutput().await(10, TimeUnit.SECONDS)).isTrue();
                assertThat(client.isOutputShutdown()).isTrue();
                assertThat(client.isInputShutdown()).isFalse();
                assertSameBytes(readToEnd(peer.getInputStream()), request,
                        "what the peer reads before EOF: all we wrote before shutting down");
                byte[] reply = payload(5, 90_000);
                peer.getOutputStream().write(reply);
                peer.close();
                assertThat(client.closeFuture().await(10, TimeUnit.SECONDS)).isTrue();
                assertSameBytes(handler.bytes(), reply, "what we read after our output shut down");
            }
        }
    }
}
