package io.ringline.uring;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static io.ringline.uring.TransportTestSupport.await;
import static io.ringline.uring.TransportTestSupport.oneLoopGroup;
import static io.ringline.uring.TransportTestSupport.readUntilEndOrReset;
import static io.ringline.uring.TransportTestSupport.seconds;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static io.ringline.uring.TransportTestSupport.socketChannelType;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Netty lets a channel leave its event loop (deregister) and register with another: it reads and writes on the new
 * loop's ring and loses nothing that was under way as it left (data arriving, a connection being accepted, a send).
 */
class MovingChannelsTest {

    static Stream<Arguments> receivePaths() {
        return Stream.of(
                Arguments.of("multishot recv, DEFER_TASKRUN", new UringIoHandlerConfig()),
                Arguments.of("multishot recv, no DEFER_TASKRUN", new UringIoHandlerConfig().setDeferTaskrun(false)),
                Arguments.of("single-shot recv, no DEFER_TASKRUN",
                        new UringIoHandlerConfig().setDeferTaskrun(false).setMultishotRecv(false)),
                Arguments.of("allocator buffers, no DEFER_TASKRUN",
                        new UringIoHandlerConfig().setDeferTaskrun(false).setBufferPool(false)));
    }

    /**
     * Data that reaches the channel just as it leaves its loop completes on the old ring, which no longer knows the
     * channel (without DEFER_TASKRUN the kernel posts the completion as soon as the loop's thread returns from any
     * syscall; the deregistration runs as a task right after). It comes out on the new loop, before what follows.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("receivePaths")
    void dataArrivingAsTheChannelLeavesComesOutOnTheNewLoopInOrder(String path, UringIoHandlerConfig config)
            throws Exception {
        EventLoopGroup first = TransportTestSupport.uringGroup(1, config);
        EventLoopGroup second = TransportTestSupport.uringGroup(1, config);
        byte[] before = TransportTestSupport.payload(1, 1000);
        byte[] asItLeaves = TransportTestSupport.payload(2, 1000);
        byte[] after = TransportTestSupport.payload(3, 1000);
        try (ServerSocket peer = new ServerSocket(0, 1, TransportTestSupport.LOOPBACK)) {
            TransportTestSupport.ByteCollector collector = new TransportTestSupport.ByteCollector(3000);
            AtomicInteger received = new AtomicInteger();
            Channel channel = connect(first, new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    received.addAndGet(((ByteBuf) msg).readableBytes());
                    collector.channelRead(ctx, msg);
                }
            }, peer);
            try (Socket accepted = peer.accept()) {
                OutputStream out = accepted.getOutputStream();
                out.write(before);
                await(() -> received.get() == before.length, seconds(5), "the first part");

                leaveRightAfter(channel, () -> {
                    out.write(asItLeaves);
                    return null;
                });
                second.register(channel).sync();
                out.write(after);

                byte[] expected = new byte[3000];
                System.arraycopy(before, 0, expected, 0, 1000);
                System.arraycopy(asItLeaves, 0, expected, 1000, 1000);
                System.arraycopy(after, 0, expected, 2000, 1000);
                TransportTestSupport.assertSameBytes(collector.received.get(5, TimeUnit.SECONDS), expected,
                        "what the channel received across the move");
            } finally {
                channel.close().sync();
            }
        } finally {
            TransportTestSupport.shutdown(first, second);
        }
    }

    /** The peer closes while the channel moves: the end of stream also comes out on the new loop, after the data. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("receivePaths")
    void endOfStreamArrivingAsTheChannelLeavesComesOutOnTheNewLoop(String path, UringIoHandlerConfig config)
            throws Exception {
        EventLoopGroup first = TransportTestSupport.uringGroup(1, config);
        EventLoopGroup second = TransportTestSupport.uringGroup(1, config);
        byte[] last = TransportTestSupport.payload(4, 500);
        try (ServerSocket peer = new ServerSocket(0, 1, TransportTestSupport.LOOPBACK)) {
            TransportTestSupport.ByteCollector collector = new TransportTestSupport.ByteCollector(Integer.MAX_VALUE);
            Channel channel = connect(first, collector, peer);
            Socket accepted = peer.accept();
            leaveRightAfter(channel, () -> {
                accepted.getOutputStream().write(last);
                accepted.close();
                return null;
            });
            second.register(channel).sync();

            // The channel closes on end of stream (half-closure is off) and the collector completes with what came.
            TransportTestSupport.assertSameBytes(collector.received.get(5, TimeUnit.SECONDS), last,
                    "what came before the end of stream");
            assertThat(channel.closeFuture().await(5, TimeUnit.SECONDS)).isTrue();
        } finally {
            TransportTestSupport.shutdown(first, second);
        }
    }

    /**
     * With AUTO_READ off the transport still reads on by itself once the peer has half-closed (as epoll does on
     * EPOLLRDHUP), so the end of stream is noticed. The read it had armed for that as the channel left ends on the old
     * ring with data; the new loop reads on from there to the end of stream, with no {@code read()} asked.
     */
    @Test
    void aHalfClosureBeingReadAsTheChannelLeavesIsReadToTheEndOnTheNewLoop() throws Exception {
        EventLoopGroup first = TransportTestSupport.uringGroup(1, new UringIoHandlerConfig());
        EventLoopGroup second = TransportTestSupport.uringGroup(1, new UringIoHandlerConfig());
        byte[] payload = TransportTestSupport.payload(5, 8192); // several receives: the first guess is 2 KiB
        CountDownLatch release = new CountDownLatch(1);
        try (ServerSocket peer = new ServerSocket(0, 1, TransportTestSupport.LOOPBACK)) {
            TransportTestSupport.ByteCollector collector = new TransportTestSupport.ByteCollector(Integer.MAX_VALUE);
            AtomicReference<ChannelFuture> left = new AtomicReference<>();
            Channel channel = new Bootstrap().group(first).channel(UringSocketChannel.class)
                    .option(ChannelOption.AUTO_READ, false)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    if (left.get() == null) {
                                        // Leaves while the read armed for the rest is in flight, and holds the old
                                        // loop so that its ring answers only once the new loop has the channel.
                                        left.set(ctx.channel().deregister());
                                        ctx.channel().eventLoop().execute(() -> holdUntil(release));
                                    }
                                    ctx.fireChannelRead(msg);
                                }
                            }, collector);
                        }
                    })
                    .connect(peer.getLocalSocketAddress()).sync().channel();
            try (Socket accepted = peer.accept()) {
                accepted.getOutputStream().write(payload);
                accepted.shutdownOutput();
                await(() -> left.get() != null && left.get().isDone(), seconds(5), "the channel leaving");
                second.register(channel).sync();
                Thread.sleep(200); // the new loop notices the half-closure before the old ring's answer reaches it
                release.countDown();

                TransportTestSupport.assertSameBytes(collector.received.get(5, TimeUnit.SECONDS), payload,
                        "what the channel read to the end of stream");
                assertThat(channel.closeFuture().await(5, TimeUnit.SECONDS)).isTrue();
            }
        } finally {
            release.countDown();
            TransportTestSupport.shutdown(first, second);
        }
    }

    /**
     * A channel moved with a send still in flight on the old ring, then closed on the new loop: the close waits for
     * that send's late completion. If the old loop ends before its ring answered, none comes: the channel closes all
     * the same, and its write completes.
     */
    @Test
    void aCloseWaitingForASendLeftOnALoopThatEndsStillCloses() throws Exception {
        EventLoopGroup first = TransportTestSupport.uringGroup(1);
        EventLoopGroup second = TransportTestSupport.uringGroup(1);
        byte[] payload = TransportTestSupport.payload(7, 16 << 20);
        CountDownLatch firstLoopHeld = new CountDownLatch(1);
        try (ServerSocket slowPeer = new ServerSocket(0, 1, TransportTestSupport.LOOPBACK)) {
            Channel channel = new Bootstrap().group(first).channel(UringSocketChannel.class)
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                            // expected: the send's outcome is unknown
                        }
                    })
                    .connect(slowPeer.getLocalSocketAddress()).sync().channel();
            try (Socket accepted = slowPeer.accept()) {
                ChannelFuture write = channel.writeAndFlush(
                        channel.alloc().directBuffer(payload.length).writeBytes(payload));
                Thread.sleep(200);
                assertThat(write.isDone()).as("the write is still going").isFalse();

                leaveAndHoldTheLoop(channel, firstLoopHeld);
                second.register(channel).sync();

                ChannelFuture close = channel.close(); // waits for the send left on the first ring
                Thread.sleep(100);
                Future<?> firstGone = first.shutdownGracefully(0, 0, TimeUnit.SECONDS);
                firstLoopHeld.countDown(); // it ends without reaping its ring again
                assertThat(firstGone.await(10, TimeUnit.SECONDS)).isTrue();

                assertThat(close.await(5, TimeUnit.SECONDS)).as("close() done").isTrue();
                assertThat(write.await(5, TimeUnit.SECONDS)).as("write done").isTrue();
                assertThat(channel.isOpen()).isFalse();
            } finally {
                firstLoopHeld.countDown();
            }
        } finally {
            TransportTestSupport.shutdown(first, second);
        }
    }

    static Stream<Arguments> acceptPaths() {
        return Stream.of(
                Arguments.of("multishot accept, DEFER_TASKRUN", new UringIoHandlerConfig()),
                Arguments.of("multishot accept, no DEFER_TASKRUN", new UringIoHandlerConfig().setDeferTaskrun(false)),
                Arguments.of("single-shot accept, no DEFER_TASKRUN",
                        new UringIoHandlerConfig().setDeferTaskrun(false).setMultishotAccept(false)));
    }

    /**
     * A listener moves too: a connection accepted on the old ring just as it leaves becomes a child channel on the
     * new loop like any other (before, its fd stayed open with nobody serving it).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("acceptPaths")
    void aConnectionAcceptedAsTheListenerLeavesIsServed(String path, UringIoHandlerConfig config) throws Exception {
        EventLoopGroup first = TransportTestSupport.uringGroup(1, config);
        EventLoopGroup second = TransportTestSupport.uringGroup(1, config);
        EventLoopGroup children = TransportTestSupport.uringGroup(1, config);
        AtomicInteger accepted = new AtomicInteger();
        try {
            Channel listener = new ServerBootstrap().group(first, children).channel(UringServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel child) {
                            accepted.incrementAndGet();
                            child.pipeline().addLast(EchoServerFixture.EchoHandler.INSTANCE);
                        }
                    })
                    .bind(TransportTestSupport.LOOPBACK, 0).sync().channel();
            InetSocketAddress address = (InetSocketAddress) listener.localAddress();
            try (Socket early = leaveRightAfter(listener,
                    () -> new Socket(address.getAddress(), address.getPort()))) {
                second.register(listener).sync();
                try (Socket later = new Socket(address.getAddress(), address.getPort())) {
                    for (Socket client : new Socket[] {early, later}) {
                        client.setSoTimeout(5_000);
                        client.getOutputStream().write(new byte[] {7, 8, 9});
                        assertThat(client.getInputStream().readNBytes(3)).containsExactly(7, 8, 9);
                    }
                }
                assertThat(accepted.get()).isEqualTo(2);
            } finally {
                listener.close().sync();
            }
        } finally {
            TransportTestSupport.shutdown(first, second, children);
        }
    }

    static Stream<Arguments> taskrunModes() {
        return Stream.of(
                Arguments.of("DEFER_TASKRUN", new UringIoHandlerConfig()),
                Arguments.of("no DEFER_TASKRUN", new UringIoHandlerConfig().setDeferTaskrun(false)));
    }

    /**
     * A client streams to an echo server, a window of sends and receives always under way, while the test moves it
     * between two loops again and again: every byte comes back once, in order.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("taskrunModes")
    void aChannelMovedBackAndForthUnderTrafficLosesNothing(String mode, UringIoHandlerConfig config)
            throws Exception {
        EventLoopGroup first = TransportTestSupport.uringGroup(1, config);
        EventLoopGroup second = TransportTestSupport.uringGroup(1, config);
        try (EchoServerFixture server = EchoServerFixture.ringline()) {
            StreamingClient client = new StreamingClient();
            Channel channel = new Bootstrap().group(first).channel(UringSocketChannel.class).handler(client)
                    .connect(server.address()).sync().channel();
            try {
                int moves = 0;
                for (; moves < 60; moves++) {
                    Thread.sleep(2);
                    channel.deregister().sync();
                    (moves % 2 == 0 ? second : first).register(channel).sync();
                }
                client.stop = true;
                await(() -> client.failure != null || client.received == client.sent, seconds(10), "every byte back");
                assertThat(client.failure).isNull();
                assertThat(client.received).as("bytes echoed across %d moves", moves).isGreaterThan(1 << 20);
            } finally {
                channel.close().sync();
            }
        } finally {
            TransportTestSupport.shutdown(first, second);
        }
    }

    /**
     * A write on a channel that moves on twice before its first loop's ring has answered for it: made on the first loop
     * (its send is still in flight there as the channel leaves), or on the second while the first ring still owes the
     * read left there (the write waits for it; a send started on the second loop used to be lost with that loop's
     * registration, and the channel never sent again). Either way every byte goes out, from the third loop.
     */
    @ParameterizedTest(name = "written on the {0} loop")
    @ValueSource(strings = {"first", "second"})
    void aWriteGoesOutWhenTheChannelMovesTwiceBeforeItsFirstRingAnswered(String writtenOn) throws Exception {
        EventLoopGroup first = TransportTestSupport.uringGroup(1);
        EventLoopGroup second = TransportTestSupport.uringGroup(1);
        EventLoopGroup third = TransportTestSupport.uringGroup(1);
        byte[] payload = TransportTestSupport.payload(6, 16 << 20);
        CountDownLatch firstRingHeld = new CountDownLatch(1);
        try (ServerSocket slowPeer = new ServerSocket(0, 1, TransportTestSupport.LOOPBACK)) {
            Channel channel = connect(first, new ChannelInboundHandlerAdapter(), slowPeer); // its receive is armed
            try (Socket accepted = slowPeer.accept()) {
                ChannelFuture write = writtenOn.equals("first") ? startStalledWrite(channel, payload) : null;
                leaveAndHoldTheLoop(channel, firstRingHeld);
                second.register(channel).sync();
                if (write == null) {
                    write = channel.writeAndFlush(channel.alloc().directBuffer(payload.length).writeBytes(payload));
                    Thread.sleep(200);
                }
                channel.deregister().sync();
                third.register(channel).sync();
                firstRingHeld.countDown();

                accepted.setSoTimeout(10_000);
                TransportTestSupport.assertSameBytes(accepted.getInputStream().readNBytes(payload.length), payload,
                        "what the peer read");
                assertThat(write.await(5, TimeUnit.SECONDS)).isTrue();
                assertThat(write.cause()).isNull();
            } finally {
                firstRingHeld.countDown();
                channel.close().sync();
            }
        } finally {
            TransportTestSupport.shutdown(first, second, third);
        }
    }

    /**
     * The loop a channel left shuts down before its ring reported on the send left there: how much went out cannot be
     * known, so the channel fails with that reason; what the peer got is a prefix of what was written, nothing twice.
     */
    @Test
    void theOldLoopShuttingDownBeforeItsRingAnsweredFailsTheChannelWithTheReason() throws Exception {
        EventLoopGroup first = TransportTestSupport.uringGroup(1);
        EventLoopGroup second = TransportTestSupport.uringGroup(1);
        byte[] payload = TransportTestSupport.payload(7, 16 << 20);
        CountDownLatch firstLoopHeld = new CountDownLatch(1);
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        try (ServerSocket slowPeer = new ServerSocket(0, 1, TransportTestSupport.LOOPBACK)) {
            Channel channel = connect(first, new ChannelInboundHandlerAdapter() {
                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    failure.complete(cause);
                }
            }, slowPeer);
            try (Socket accepted = slowPeer.accept()) {
                ChannelFuture write = startStalledWrite(channel, payload);

                leaveAndHoldTheLoop(channel, firstLoopHeld);
                second.register(channel).sync();
                Future<?> firstGone = first.shutdownGracefully(0, 0, TimeUnit.SECONDS);
                firstLoopHeld.countDown(); // it ends without reaping its ring again
                assertThat(firstGone.await(10, TimeUnit.SECONDS)).isTrue();

                assertThat(failure.get(5, TimeUnit.SECONDS)).isInstanceOf(IOException.class)
                        .hasMessageContaining("shut down before its ring reported how much of a send");
                assertThat(write.await(5, TimeUnit.SECONDS)).isTrue();
                assertThat(write.isSuccess()).isFalse();
                assertThat(channel.closeFuture().await(5, TimeUnit.SECONDS)).isTrue();
                accepted.setSoTimeout(10_000);
                byte[] got = readUntilEndOrReset(accepted);
                TransportTestSupport.assertSameBytes(got, Arrays.copyOf(payload, got.length),
                        "what the peer got: a prefix of what was written");
            } finally {
                firstLoopHeld.countDown();
                channel.close().sync();
            }
        } finally {
            TransportTestSupport.shutdown(first, second);
        }
    }

    /** A client channel of {@code group} connecting to {@code peer} (the test accepts it there). */
    /**
     * A connect still under way as the channel leaves its loop would finish on the ring it left, where nothing waits
     * for it: it fails at once with the reason (and Bootstrap closes the channel), not when the connect timeout
     * fires on the old loop.
     */
    @Test
    void aConnectUnderWayAsTheChannelLeavesFailsWithTheReason() throws Exception {
        EventLoopGroup first = TransportTestSupport.uringGroup(1, new UringIoHandlerConfig());
        List<Socket> fillers = new ArrayList<>();
        try (ServerSocket full = new ServerSocket(0, 1, TransportTestSupport.LOOPBACK)) {
            // Fill the listener's accept queue: the kernel then drops further SYNs and a connect stays under way.
            while (true) {
                Socket filler = new Socket();
                try {
                    filler.connect(full.getLocalSocketAddress(), 300);
                    fillers.add(filler);
                } catch (SocketTimeoutException queueFull) {
                    filler.close();
                    break;
                }
                assertThat(fillers).as("connections the listener queued").hasSizeLessThan(10);
            }
            ChannelFuture connecting = new Bootstrap().group(first).channel(UringSocketChannel.class)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(full.getLocalSocketAddress());
            Thread.sleep(200);
            assertThat(connecting.isDone()).as("connect under way").isFalse();

            connecting.channel().deregister().sync();

            assertThat(connecting.await(5, TimeUnit.SECONDS)).as("connect ended").isTrue();
            assertThat(connecting.cause()).isInstanceOf(java.net.ConnectException.class)
                    .hasMessageContaining("abandoned: the channel left its event loop while connecting");
            await(() -> !connecting.channel().isOpen(), seconds(5), "the channel closed");
        } finally {
            for (Socket filler : fillers) {
                filler.close();
            }
            TransportTestSupport.shutdown(first);
        }
    }

    private static Channel connect(EventLoopGroup group, ChannelHandler handler, ServerSocket peer)
            throws InterruptedException {
        return new Bootstrap().group(group).channel(UringSocketChannel.class).handler(handler)
                .connect(peer.getLocalSocketAddress()).sync().channel();
    }

    /**
     * On the channel's own loop thread: runs {@code arrival} (data or a connection for the channel), lets the kernel
     * complete its read as the thread returns from the syscalls, then deregisters the channel in the same task, so
     * the deregistration runs before the loop reaps again. Returns what {@code arrival} returned, once the channel
     * has left.
     */
    private static <T> T leaveRightAfter(Channel channel, Callable<T> arrival) throws Exception {
        AtomicReference<T> arrived = new AtomicReference<>();
        channel.eventLoop().submit(() -> {
            arrived.set(arrival.call());
            Thread.sleep(50);
            return channel.deregister();
        }).get(5, TimeUnit.SECONDS).sync();
        return arrived.get();
    }

    /**
     * Deregisters the channel and holds its loop with the task right after the deregistration, before the loop reaps
     * its ring again, until {@code release} opens.
     */
    private static void leaveAndHoldTheLoop(Channel channel, CountDownLatch release) throws Exception {
        EventLoop loop = channel.eventLoop();
        loop.submit(() -> {
            ChannelFuture left = channel.deregister(); // a task queued now, before the one below
            loop.execute(() -> holdUntil(release));
            return left;
        }).get(5, TimeUnit.SECONDS).sync();
    }

    /** A task that holds its loop until {@code release} opens. */
    private static void holdUntil(CountDownLatch release) {
        try {
            release.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Writes {@code payload}, more than both sockets' buffers hold, to a peer that reads nothing: the send stays in
     * flight.
     */
    private static ChannelFuture startStalledWrite(Channel channel, byte[] payload) throws InterruptedException {
        ChannelFuture write = channel.writeAndFlush(channel.alloc().directBuffer(payload.length).writeBytes(payload));
        Thread.sleep(200);
        assertThat(write.isDone()).as("the write is still going").isFalse();
        return write;
    }

    /** Keeps {@link #WINDOW} bytes in flight, checks what comes back against what went out; runs on the channel's loop. */
    private static final class StreamingClient extends ChannelInboundHandlerAdapter {
        private static final int CHUNK = 8192;
        private static final int WINDOW = 4 * CHUNK;
        volatile boolean stop;
        volatile boolean stopped;
        volatile long sent;
        volatile long received;
        volatile String failure;

        private static byte at(long position) {
            return (byte) (position ^ (position >>> 8) ^ (position >>> 16));
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            fill(ctx);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buffer = (ByteBuf) msg;
            byte[] bytes = new byte[buffer.readableBytes()]; // in one call: the paranoid leak detector records each
            buffer.readBytes(bytes);
            buffer.release();
            long position = received;
            for (byte b : bytes) {
                if (b != at(position++) && failure == null) {
                    failure = "byte " + (position - 1) + " differs (a loss, a duplicate or a reordering)";
                }
            }
            received = position;
            fill(ctx);
        }

        private void fill(ChannelHandlerContext ctx) {
            if (stop) {
                stopped = true;
                return;
            }
            while (sent - received < WINDOW) {
                byte[] chunk = new byte[CHUNK];
                for (int i = 0; i < CHUNK; i++) {
                    chunk[i] = at(sent + i);
                }
                sent += CHUNK;
                ctx.writeAndFlush(ctx.alloc().directBuffer(CHUNK).writeBytes(chunk));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failure = cause.toString();
        }
    }

    /**
     * A channel whose reads went to allocator buffers because the old loop's pool was exhausted (the handler holds
     * every slot) reads into the new loop's pool once it moves: AVAILABLE follows EXHAUSTED there, and the old pool
     * gets every slot back once the handler lets go.
     */
    @Test
    void aChannelReadingPastAnExhaustedPoolReadsFromTheNewLoopsPool() throws Exception {
        UringIoHandlerConfig smallPool = new UringIoHandlerConfig().setBufferSize(1024).setBufferCount(8)
                .setMaxBufferCount(8);
        EventLoopGroup first = TransportTestSupport.uringGroup(1, smallPool);
        EventLoopGroup second = TransportTestSupport.uringGroup(1);
        List<ByteBuf> held = new CopyOnWriteArrayList<>();
        AtomicInteger received = new AtomicInteger();
        List<Object> events = new CopyOnWriteArrayList<>();
        try (ServerSocket peer = new ServerSocket(0, 1, TransportTestSupport.LOOPBACK)) {
            Channel channel = connect(first, new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    received.addAndGet(((ByteBuf) msg).readableBytes());
                    held.add((ByteBuf) msg);
                }

                @Override
                public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                    if (event instanceof UringBufferPoolEvent) {
                        events.add(event);
                    }
                }
            }, peer);
            try (Socket accepted = peer.accept()) {
                accepted.getOutputStream().write(new byte[8 * 1024 + 4096]);
                await(() -> received.get() == 8 * 1024 + 4096, seconds(5),
                        "all of it, past the first loop's exhausted pool");
                assertThat(events).as("pool events on the first loop").containsExactly(UringBufferPoolEvent.EXHAUSTED);
                assertThat(Uring.metrics(first).allocatorReadsWhilePoolExhausted()).isPositive();

                channel.deregister().sync();
                second.register(channel).sync();
                // A first piece may still land in the buffer of the receive the old loop had armed (the old ring's
                // late completion); what follows it is received on the new loop.
                accepted.getOutputStream().write(new byte[100]);
                await(() -> received.get() == 8 * 1024 + 4096 + 100, seconds(5), "a first piece, on the new loop");
                accepted.getOutputStream().write(new byte[4096 - 100]);
                await(() -> received.get() == 8 * 1024 + 2 * 4096, seconds(5), "the rest, on the new loop");
                assertThat(events).as("pool events").containsExactly(UringBufferPoolEvent.EXHAUSTED,
                        UringBufferPoolEvent.AVAILABLE);
                assertThat(Uring.metrics(second).slotsInUse()).as("slots of the new loop's pool held").isPositive();
            } finally {
                channel.close().sync();
                held.forEach(ByteBuf::release);
            }
            await(() -> Uring.metrics(first).slotsInUse() == 0, seconds(5), "every slot back in the first pool");
            await(() -> Uring.metrics(second).slotsInUse() == 0, seconds(5), "every slot back in the second pool");
        } finally {
            TransportTestSupport.shutdown(first, second);
        }
    }

    /** A channel that leaves and closes before it registers anywhere else drops what arrived: no leak, no hang. */
    @Test
    void aChannelClosedBetweenLoopsReleasesWhatArrivedAsItLeft() throws Exception {
        UringIoHandlerConfig config = new UringIoHandlerConfig().setDeferTaskrun(false);
        EventLoopGroup first = TransportTestSupport.uringGroup(1, config);
        try (ServerSocket peer = new ServerSocket(0, 1, TransportTestSupport.LOOPBACK)) {
            Channel channel = connect(first, new ChannelInboundHandlerAdapter(), peer);
            try (Socket accepted = peer.accept()) {
                leaveRightAfter(channel, () -> {
                    accepted.getOutputStream().write(new byte[1000]);
                    return null;
                });
                channel.close().sync();
                await(() -> Uring.metrics(first).slotsInUse() == 0, seconds(5), "every slot back in the old pool");
            }
        } finally {
            TransportTestSupport.shutdown(first);
        }
    }

    /**
     * A channel closed right as it leaves (in the deregistration's listener, before its loop's next pass): its old
     * ring's operations are cancelled before the fd goes, so nothing keeps the socket alive and the peer sees the end
     * of the stream. Fixed files off: removing a fixed file submitted the cancellation early, and hid this.
     */
    @Test
    void aConnectionClosedAsItLeavesItsLoopEndsForThePeer() throws Exception {
        EventLoopGroup group = TransportTestSupport.uringGroup(1, new UringIoHandlerConfig().setFixedFiles(0));
        try (ServerSocket peer = new ServerSocket(0, 1, TransportTestSupport.LOOPBACK)) {
            Channel channel = connect(group, new ChannelInboundHandlerAdapter(), peer);
            try (Socket accepted = peer.accept()) {
                channel.eventLoop().submit(() -> channel.deregister().addListener(left -> channel.close())).sync();
                assertThat(channel.closeFuture().await(5, TimeUnit.SECONDS)).isTrue();

                accepted.setSoTimeout(5_000);
                assertThat(accepted.getInputStream().read()).as("the peer's read after the close").isEqualTo(-1);
            }
        } finally {
            TransportTestSupport.shutdown(group);
        }
    }

    /**
     * The loop a channel moved to ends (closing the channel) before the loop it left has heard its ring's last word:
     * that word then finds nobody to hand the results to, which must not fail the old loop's pass.
     */
    @Test
    void aNewLoopEndingBeforeTheOldRingAnsweredLeavesTheOldLoopUnharmed() throws Exception {
        EventLoopGroup first = TransportTestSupport.uringGroup(1);
        EventLoopGroup second = TransportTestSupport.uringGroup(1);
        CountDownLatch firstRingHeld = new CountDownLatch(1);
        try (ServerSocket peer = new ServerSocket(0, 1, TransportTestSupport.LOOPBACK)) {
            Channel channel = connect(first, new ChannelInboundHandlerAdapter(), peer); // its receive is armed
            try (Socket accepted = peer.accept()) {
                leaveAndHoldTheLoop(channel, firstRingHeld);
                second.register(channel).sync();
                TransportTestSupport.shutdown(second);
                firstRingHeld.countDown();

                first.next().submit(() -> { }).get(5, TimeUnit.SECONDS);
                Thread.sleep(200); // the first loop reaps its ring's answer
                assertThat(Uring.metrics(first).loopFailures()).as("failed passes of the first loop").isZero();
            } finally {
                firstRingHeld.countDown();
            }
        } finally {
            TransportTestSupport.shutdown(first);
        }
    }

    /** Netty lets a channel move between event loops: its entry in the old ring must go, a new one come. */
    @Test
    void aChannelMovedToAnotherLoopKeepsEchoingAndMovesItsEntry() throws Exception {
        EventLoopGroup first = TransportTestSupport.uringGroup(1);
        EventLoopGroup second = TransportTestSupport.uringGroup(1);
        try (EchoServerFixture server = EchoServerFixture.ringline()) {
            AtomicInteger echoed = new AtomicInteger();
            Channel channel = new Bootstrap().group(first).channel(UringSocketChannel.class)
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            echoed.addAndGet(((ByteBuf) msg).readableBytes());
                            ReferenceCountUtil.release(msg);
                        }
                    })
                    .connect(server.address()).sync().channel();
            try {
                channel.writeAndFlush(Unpooled.directBuffer(1000).writeZero(1000)).sync();
                await(() -> echoed.get() == 1000, seconds(5), "the first echo");
                assertThat(Uring.metrics(first).fixedFiles()).isEqualTo(1);

                channel.deregister().sync();
                assertThat(Uring.metrics(first).fixedFiles()).as("the old ring's entry").isZero();
                second.register(channel).sync();
                assertThat(Uring.metrics(second).fixedFiles()).as("the new ring's entry").isEqualTo(1);

                channel.writeAndFlush(Unpooled.directBuffer(1000).writeZero(1000)).sync();
                await(() -> echoed.get() == 2000, seconds(5), "the echo on the new loop");
            } finally {
                channel.close().sync();
            }
            assertThat(Uring.metrics(second).fixedFiles()).isZero();
        } finally {
            TransportTestSupport.shutdown(first, second);
        }
    }

    /**
     * A send still in flight when the channel leaves its loop completes on the old ring, which reports how much went
     * out (the cancellation stops it midway): the new loop sends the rest, and the peer gets every byte once, in order.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("receivePaths")
    void aSendInFlightAsTheChannelLeavesFinishesOnTheNewLoop(String path, UringIoHandlerConfig config)
            throws Exception {
        EventLoopGroup first = TransportTestSupport.uringGroup(1, config);
        EventLoopGroup second = TransportTestSupport.uringGroup(1, config);
        byte[] payload = TransportTestSupport.payload(5, 16 << 20);
        try (ServerSocket slowPeer = new ServerSocket(0, 1, TransportTestSupport.LOOPBACK)) {
            Channel channel = connect(first, new ChannelInboundHandlerAdapter(), slowPeer);
            try (Socket accepted = slowPeer.accept()) {
                ChannelFuture write = startStalledWrite(channel, payload);

                channel.deregister().sync();
                second.register(channel).sync();

                accepted.setSoTimeout(10_000);
                TransportTestSupport.assertSameBytes(accepted.getInputStream().readNBytes(payload.length), payload,
                        "what the peer read");
                assertThat(write.await(5, TimeUnit.SECONDS)).isTrue();
                assertThat(write.cause()).isNull();
                assertThat(channel.isActive()).isTrue();
            } finally {
                channel.close().sync();
            }
        } finally {
            TransportTestSupport.shutdown(first, second);
        }
    }

    /**
     * A channel moves with a read and a send in flight on the old ring, both completing there (the read with data,
     * the send whole); on the new loop the user writes more and calls close() before the old ring's answer arrives.
     * Nothing is read after close(), as with NIO.
     */
    @ParameterizedTest
    @ValueSource(strings = {"nio", "ringline"})
    void noChannelReadAfterCloseOnTheNewLoop(String transport) throws Exception {
        EventLoopGroup first = oneLoopGroup(transport);
        EventLoopGroup second = oneLoopGroup(transport);
        AtomicBoolean closeCalled = new AtomicBoolean();
        List<String> readsAfterClose = new CopyOnWriteArrayList<>();
        CountDownLatch release = new CountDownLatch(1);
        try (ServerSocket listener = new ServerSocket(0, 1, TransportTestSupport.LOOPBACK)) {
            Channel channel = new Bootstrap().group(first).channel(socketChannelType(transport))
                    .option(ChannelOption.AUTO_READ, false)
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            if (closeCalled.get()) {
                                readsAfterClose.add(((ByteBuf) msg).readableBytes() + " bytes");
                            }
                            ((ByteBuf) msg).release();
                        }
                    })
                    .connect(listener.getLocalSocketAddress()).sync().channel();
            try (Socket peer = listener.accept()) {
                peer.getOutputStream().write(new byte[100]); // waits in the socket: AUTO_READ is off
                Thread.sleep(100);
                EventLoop loop = channel.eventLoop();
                loop.submit(() -> {
                    channel.read(); // a receive that finds data
                    channel.writeAndFlush(channel.alloc().directBuffer(10).writeZero(10)); // a send that goes whole
                    ChannelFuture left = channel.deregister();
                    loop.execute(() -> {
                        try {
                            release.await(); // the old loop reaps its ring only once the close is under way
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                    return left;
                }).get(5, TimeUnit.SECONDS).sync();
                second.register(channel).sync();

                ChannelFuture more = channel.writeAndFlush(channel.alloc().directBuffer(10).writeZero(10));
                closeCalled.set(true);
                ChannelFuture close = channel.close();
                Thread.sleep(100);
                release.countDown();

                assertThat(close.await(5, TimeUnit.SECONDS)).as("closed").isTrue();
                more.await(5, TimeUnit.SECONDS);
                Thread.sleep(200); // whatever is still queued on the loops
                assertThat(readsAfterClose).as("channelRead after close()").isEmpty();
            }
        } finally {
            release.countDown();
            shutdown(first, second);
        }
    }
}
