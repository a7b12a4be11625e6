package io.ringline.uring;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.CharsetUtil;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.LOOPBACK;
import static io.ringline.uring.TransportTestSupport.assertSameBytes;
import static io.ringline.uring.TransportTestSupport.loopback;
import static io.ringline.uring.TransportTestSupport.oneLoopGroup;
import static io.ringline.uring.TransportTestSupport.payload;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static io.ringline.uring.TransportTestSupport.uringGroup;
import static org.assertj.core.api.Assertions.assertThat;

/** With AUTO_READ off, each read() delivers one read's worth of data and nothing more until the next call. */
class AutoReadOffTest {
    /** More than a pool slot (16 KiB) and than the allocator's first guesses, so it takes several reads. */
    private static final int SIZE = 100_000;

    private EventLoopGroup group;

    @AfterEach
    void shutdownGroup() {
        shutdown(group);
    }

    /** Records reads and read completes in order. */
    static final class ReadRecorder extends ChannelInboundHandlerAdapter {
        final BlockingQueue<String> events = new LinkedBlockingQueue<>();
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final CompletableFuture<Channel> active = new CompletableFuture<>();

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            active.complete(ctx.channel());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buffer = (ByteBuf) msg;
            synchronized (received) {
                received.writeBytes(ByteBufUtil.getBytes(buffer));
            }
            events.add("read");
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            events.add("complete");
        }

        byte[] bytes() {
            synchronized (received) {
                return received.toByteArray();
            }
        }
    }

    /**
     * Calls read() until {@code size} bytes arrived in all, checking each call delivers exactly one read and one
     * complete; returns the number of calls.
     */
    private static int readOneCallAtATime(Channel channel, ReadRecorder recorder, int size) throws Exception {
        int calls = 0;
        while (recorder.bytes().length < size) {
            assertThat(calls++).as("read() calls").isLessThan(size);
            channel.read();
            assertThat(recorder.events.poll(5, TimeUnit.SECONDS)).as("event after read() %d", calls).isEqualTo("read");
            assertThat(recorder.events.poll(5, TimeUnit.SECONDS)).as("event after read() %d", calls)
                    .isEqualTo("complete");
            if (recorder.bytes().length < size) {
                // The peer's bytes wait in the kernel, yet nothing comes without another read().
                assertThat(recorder.events.poll(30, TimeUnit.MILLISECONDS)).as("event without read()").isNull();
            }
        }
        return calls;
    }

    @ParameterizedTest(name = "buffer pool {0}")
    @ValueSource(booleans = {true, false})
    void ourServerChildReadsOncePerReadCall(boolean bufferPool) throws Exception {
        group = uringGroup(1, new UringIoHandlerConfig().setBufferPool(bufferPool));
        ReadRecorder recorder = new ReadRecorder();
        Channel server = new ServerBootstrap().group(group).channel(UringServerSocketChannel.class)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(recorder)
                .bind(loopback(0)).sync().channel();
        try (Socket peer = new Socket(LOOPBACK, ((InetSocketAddress) server.localAddress()).getPort())) {
            byte[] request = payload(1, SIZE);
            OutputStream out = peer.getOutputStream();
            out.write(request);
            Channel child = recorder.active.get(5, TimeUnit.SECONDS);
            Thread.sleep(100);
            assertThat(recorder.events).as("events before any read()").isEmpty();
            assertThat(readOneCallAtATime(child, recorder, SIZE)).as("read() calls").isGreaterThan(1);
            assertSameBytes(recorder.bytes(), request, "what the reads delivered");

            // Later data waits for a read() too.
            byte[] more = payload(2, 500);
            out.write(more);
            Thread.sleep(100);
            assertThat(recorder.events).as("events before the next read()").isEmpty();
            assertThat(readOneCallAtATime(child, recorder, SIZE + more.length)).as("read() calls").isEqualTo(1);
        } finally {
            server.close().sync();
        }
    }

    @ParameterizedTest(name = "buffer pool {0}")
    @ValueSource(booleans = {true, false})
    void ourClientReadsOncePerReadCall(boolean bufferPool) throws Exception {
        group = uringGroup(1, new UringIoHandlerConfig().setBufferPool(bufferPool));
        try (ServerSocket listener = new ServerSocket(0, 50, LOOPBACK)) {
            ReadRecorder recorder = new ReadRecorder();
            Channel client = new Bootstrap().group(group).channel(UringSocketChannel.class)
                    .option(ChannelOption.AUTO_READ, false)
                    .handler(recorder)
                    .connect(loopback(listener.getLocalPort())).sync().channel();
            try (Socket peer = listener.accept()) {
                byte[] reply = payload(3, SIZE);
                peer.getOutputStream().write(reply);
                Thread.sleep(100);
                assertThat(recorder.events).as("events before any read()").isEmpty();
                assertThat(readOneCallAtATime(client, recorder, SIZE)).as("read() calls").isGreaterThan(1);
                assertSameBytes(recorder.bytes(), reply, "what the reads delivered");
            } finally {
                client.close().sync();
            }
        }
    }

    @ParameterizedTest(name = "buffer pool {0}")
    @ValueSource(booleans = {true, false})
    void turningAutoReadOffStopsReadingAndOnResumes(boolean bufferPool) throws Exception {
        group = uringGroup(1, new UringIoHandlerConfig().setBufferPool(bufferPool));
        ReadRecorder recorder = new ReadRecorder();
        Channel server = new ServerBootstrap().group(group).channel(UringServerSocketChannel.class)
                .childHandler(recorder)
                .bind(loopback(0)).sync().channel();
        try (Socket peer = new Socket(LOOPBACK, ((InetSocketAddress) server.localAddress()).getPort())) {
            OutputStream out = peer.getOutputStream();
            Channel child = recorder.active.get(5, TimeUnit.SECONDS);
            out.write(new byte[] {1, 2, 3});
            assertThat(recorder.events.poll(5, TimeUnit.SECONDS)).isEqualTo("read");
            child.config().setAutoRead(false);
            // Two trips through the loop: the multishot receive's cancellation is submitted and done.
            child.eventLoop().submit(() -> { }).sync();
            child.eventLoop().submit(() -> { }).sync();
            recorder.events.clear();
            byte[] later = payload(4, 5000);
            out.write(later);
            Thread.sleep(150);
            assertThat(recorder.events).as("events while AUTO_READ is off").isEmpty();
            child.config().setAutoRead(true);
            TransportTestSupport.await(() -> recorder.bytes().length == 3 + later.length,
                    TransportTestSupport.seconds(5), "the data sent while AUTO_READ was off");
            byte[] all = recorder.bytes();
            assertSameBytes(Arrays.copyOfRange(all, 3, all.length), later, "what came after AUTO_READ on");
        } finally {
            server.close().sync();
        }
    }

    /**
     * AUTO_READ off and at once on again on an idle connection (backpressure that resolved within one task): nothing
     * was read, so NIO fires nothing. Ringline's cancelled receive ended with -ECANCELED, which fired a
     * channelReadComplete with no channelRead before it. Data sent afterwards is read as usual.
     */
    @ParameterizedTest
    @ValueSource(strings = {"nio", "ringline"})
    void autoReadOffAndOnAgainOnAnIdleConnectionFiresNoReadComplete(String transport) throws Exception {
        group = oneLoopGroup(transport);
        ReadRecorder recorder = new ReadRecorder();
        Channel server = new ServerBootstrap().group(group).channel(TransportTestSupport.serverChannelType(transport))
                .childHandler(recorder)
                .bind(loopback(0)).sync().channel();
        try (Socket peer = new Socket(LOOPBACK, ((InetSocketAddress) server.localAddress()).getPort())) {
            Channel child = recorder.active.get(5, TimeUnit.SECONDS);
            Thread.sleep(100); // the receive armed
            child.eventLoop().submit(() -> {
                child.config().setAutoRead(false);
                child.config().setAutoRead(true);
            }).sync();
            Thread.sleep(300); // the cancellation's completion
            assertThat(recorder.events).as("events without any data").isEmpty();

            peer.getOutputStream().write(new byte[] {1, 2, 3});
            assertThat(recorder.events.poll(5, TimeUnit.SECONDS)).isEqualTo("read");
            assertThat(recorder.events.poll(5, TimeUnit.SECONDS)).isEqualTo("complete");
        } finally {
            server.close().sync();
        }
    }

    /**
     * A read() issued while the connect is under way is honoured once connected, as NIO and epoll honour it (their
     * doBeginRead sets the interest whatever the state).
     */
    @ParameterizedTest
    @ValueSource(strings = {"nio", "ringline"})
    void clientReadIssuedWhileConnectingIsHonoured(String transport) throws Exception {
        boolean nio = transport.equals("nio");
        EventLoopGroup group = oneLoopGroup(transport);
        CompletableFuture<String> received = new CompletableFuture<>();
        try (ServerSocket listener = new ServerSocket(0, 50, LOOPBACK)) {
            Thread peer = Thread.ofVirtual().start(() -> {
                try (Socket s = listener.accept()) {
                    s.getOutputStream().write("hello".getBytes());
                    s.getOutputStream().flush();
                    s.getInputStream().read(); // hold the connection open until the client closes
                } catch (Exception ignored) {
                }
            });
            CompletableFuture<Boolean> activeAtRead = new CompletableFuture<>();
            ChannelFuture connect = new Bootstrap().group(group)
                    .channel(nio ? NioSocketChannel.class : UringSocketChannel.class)
                    .option(ChannelOption.AUTO_READ, false)
                    .handler(new ChannelDuplexHandler() {
                        @Override
                        public void connect(ChannelHandlerContext ctx, SocketAddress remote, SocketAddress local,
                                            ChannelPromise promise) {
                            ctx.connect(remote, local, promise);
                            // The one read(), right behind the connect, before its outcome is known.
                            activeAtRead.complete(ctx.channel().isActive());
                            ctx.read();
                        }

                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            received.complete(((ByteBuf) msg).toString(CharsetUtil.US_ASCII));
                            ReferenceCountUtil.release(msg);
                        }
                    })
                    .connect(loopback(listener.getLocalPort()));
            Channel channel = connect.channel();
            if (!nio) {
                assertThat(activeAtRead.get(5, TimeUnit.SECONDS)).as("active when read() ran").isFalse();
            }
            assertThat(connect.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(connect.isSuccess()).isTrue();
            try {
                assertThat(received.get(5, TimeUnit.SECONDS)).isEqualTo("hello");
            } finally {
                channel.close().sync();
                peer.join(5000);
            }
        } finally {
            shutdown(group);
        }
    }

    /**
     * A listener's read() issued before bind is honoured once bound: it accepts a connection. (NIO is no reference
     * here: its channel was closed by the time bind ran in one of our runs.)
     */
    @Test
    void serverReadIssuedBeforeBindIsHonoured() throws Exception {
        EventLoopGroup group = uringGroup(1);
        CompletableFuture<Channel> accepted = new CompletableFuture<>();
        try {
            ChannelFuture registered = new ServerBootstrap().group(group).channel(UringServerSocketChannel.class)
                    .option(ChannelOption.AUTO_READ, false)
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            accepted.complete((Channel) msg);
                            ctx.fireChannelRead(msg);
                        }
                    })
                    .childHandler(new ChannelInboundHandlerAdapter())
                    .register().sync();
            Channel server = registered.channel();
            server.read(); // before bind
            server.bind(loopback(0)).sync();
            try (Socket client = new Socket()) {
                client.connect(server.localAddress());
                assertThat(accepted.get(5, TimeUnit.SECONDS).isActive()).isTrue();
            } finally {
                server.close().sync();
            }
        } finally {
            shutdown(group);
        }
    }
}
