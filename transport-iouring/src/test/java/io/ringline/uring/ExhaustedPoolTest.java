package io.ringline.uring;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.FixedLengthFrameDecoder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.ringline.uring.TransportTestSupport.await;
import static io.ringline.uring.TransportTestSupport.loopback;
import static io.ringline.uring.TransportTestSupport.payload;
import static io.ringline.uring.TransportTestSupport.seconds;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * With every slot of its loop's pool held by the application and the pool at its cap, a connection reads on into
 * {@code RCVBUF_ALLOCATOR} buffers, as NIO does, and goes back to the pool once slots are free again.
 */
class ExhaustedPoolTest {
    private static final int FRAME = 100;

    /**
     * A stock ByteToMessageDecoder keeps the first buffer of a partial frame as its cumulation: with the pool, a
     * slot, held until the rest of the frame is read. More connections with half a frame each than the pool has
     * slots: the rest of every frame must still be read and decoded, as with NIO.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nio", "ringline"})
    void halfFramesOnMoreConnectionsThanSlotsAllComplete(String transport) throws Exception {
        int connections = 12;
        // 8 slots at most, fewer than the connections (with the default cap, 4,096 such connections on one loop).
        EventLoopGroup group = "nio".equals(transport) ? TransportTestSupport.oneLoopGroup("nio")
                : TransportTestSupport.uringGroup(1, new UringIoHandlerConfig().setBufferSize(1024)
                        .setBufferCount(4).setMaxBufferCount(8));
        CountDownLatch framesToDecode = new CountDownLatch(connections);
        List<Socket> sockets = new ArrayList<>();
        try {
            Channel server = new ServerBootstrap().group(group)
                    .channel("nio".equals(transport) ? NioServerSocketChannel.class : UringServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new FixedLengthFrameDecoder(FRAME),
                                    new SimpleChannelInboundHandler<ByteBuf>() {
                                        @Override
                                        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
                                            framesToDecode.countDown();
                                        }
                                    });
                        }
                    }).bind(loopback(0)).sync().channel();
            for (int i = 0; i < connections; i++) {
                Socket socket = new Socket();
                socket.setTcpNoDelay(true);
                socket.connect(server.localAddress());
                sockets.add(socket);
                socket.getOutputStream().write(new byte[FRAME / 2]); // half a frame
            }
            Thread.sleep(500); // lets the halves be read first (not a timing assertion: the outcome is the same)
            for (Socket socket : sockets) {
                OutputStream out = socket.getOutputStream();
                out.write(new byte[FRAME - FRAME / 2]); // the rest
            }
            assertThat(framesToDecode.await(10, TimeUnit.SECONDS))
                    .as("every connection's frame decoded within 10 s (%d not)", framesToDecode.getCount()).isTrue();
            server.close().sync();
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
            shutdown(group);
        }
    }

    /**
     * Keeps every buffer it reads, noting for each whether it is a pool slot or a copy, in order with the pool
     * events; with AUTO_READ off, asks for the next read at the end of each. One connection.
     */
    private static final class KeepEverything extends ChannelInboundHandlerAdapter {
        static final String SLOT = "slot";
        static final String COPY = "copy";
        final boolean autoRead;
        final List<Object> happenings = new ArrayList<>();
        final List<ByteBuf> kept = new ArrayList<>();
        final ByteArrayOutputStream received = new ByteArrayOutputStream();

        KeepEverything(boolean autoRead) {
            this.autoRead = autoRead;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.fireChannelActive();
            if (!autoRead) {
                ctx.read();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (!autoRead) {
                ctx.read();
            }
        }

        @Override
        public synchronized void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buffer = (ByteBuf) msg;
            happenings.add(buffer instanceof PoolSlotByteBuf ? SLOT : COPY);
            byte[] bytes = new byte[buffer.readableBytes()];
            buffer.getBytes(buffer.readerIndex(), bytes);
            received.writeBytes(bytes);
            kept.add(buffer);
        }

        @Override
        public synchronized void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof UringBufferPoolEvent) {
                happenings.add(event);
            }
            ctx.fireUserEventTriggered(event);
        }

        synchronized int receivedBytes() {
            return received.size();
        }

        synchronized List<Object> happenings() {
            return new ArrayList<>(happenings);
        }

        /** Releases what it keeps: called from the test's thread, so the slots go back through loop tasks. */
        synchronized void releaseAll() {
            kept.forEach(ByteBuf::release);
            kept.clear();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            releaseAll();
        }
    }

    /**
     * The application keeps every buffer: once the pool's two slots are held, the connection reads on into allocator
     * buffers (nothing is lost or reordered); once another thread releases the slots, the next receive armed goes
     * into the pool again. EXHAUSTED and AVAILABLE alternate, and every read between them, and only those, is
     * a copy. With AUTO_READ on (multishot receives into the pool) and off (a receive per read()).
     */
    @ParameterizedTest(name = "autoRead {0}")
    @ValueSource(booleans = {true, false})
    void readsGoOnWhileTheApplicationHoldsEverySlotAndReturnToThePoolOnceSlotsAreFree(boolean autoRead)
            throws Exception {
        KeepEverything keeper = new KeepEverything(autoRead);
        UringIoHandlerConfig config = new UringIoHandlerConfig().setBufferSize(1024).setBufferCount(2)
                .setMaxBufferCount(2);
        byte[] first = payload(1, 64 * 1024);
        byte[] second = payload(2, 64 * 1024);
        try (EchoServerFixture server = EchoServerFixture.ringline(config, 1, keeper,
                bootstrap -> bootstrap.childOption(ChannelOption.AUTO_READ, autoRead));
             Socket socket = new Socket(server.address().getAddress(), server.address().getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(first);
            out.flush();
            await(() -> keeper.receivedBytes() == first.length, seconds(10),
                    "all of the first 64 KiB read while the application holds every slot");
            UringMetrics metrics = server.metrics();
            assertThat(metrics.poolSlots()).as("the pool stays at its cap: %s", metrics).isEqualTo(2);
            assertThat(metrics.slotsInUse()).as("%s", metrics).isEqualTo(2);
            assertThat(metrics.allocatorReadsWhilePoolExhausted()).as("%s", metrics).isPositive();
            assertThat(keeper.happenings()).as("the pool events so far")
                    .filteredOn(UringBufferPoolEvent.class::isInstance).containsExactly(UringBufferPoolEvent.EXHAUSTED);

            keeper.releaseAll();
            await(() -> server.metrics().slotsInUse() == 0, seconds(5), "the slots back in the pool");
            // The receive armed while the slots were held is an allocator one (it may take all of a burst: the
            // allocator's guess grew to 64 KiB), so a first piece goes there; the receive armed after it is the
            // pool's again.
            out.write(second, 0, 100);
            out.flush();
            await(() -> keeper.receivedBytes() == first.length + 100, seconds(10), "the first piece");
            out.write(second, 100, second.length - 100);
            out.flush();
            await(() -> keeper.receivedBytes() == first.length + second.length, seconds(10),
                    "all of the second 64 KiB read");

            List<Object> happenings = keeper.happenings();
            assertThat(happenings).as("the pool events").filteredOn(UringBufferPoolEvent.class::isInstance)
                    .startsWith(UringBufferPoolEvent.EXHAUSTED, UringBufferPoolEvent.AVAILABLE);
            boolean exhausted = false;
            for (int i = 0; i < happenings.size(); i++) {
                Object happening = happenings.get(i);
                if (happening instanceof UringBufferPoolEvent event) {
                    assertThat(event).as("event %d of %s", i, happenings).isEqualTo(exhausted
                            ? UringBufferPoolEvent.AVAILABLE : UringBufferPoolEvent.EXHAUSTED);
                    exhausted = event == UringBufferPoolEvent.EXHAUSTED;
                } else {
                    assertThat(happening).as("read %d of %s", i, happenings)
                            .isEqualTo(exhausted ? KeepEverything.COPY : KeepEverything.SLOT);
                }
            }
            byte[] sent = new byte[first.length + second.length];
            System.arraycopy(first, 0, sent, 0, first.length);
            System.arraycopy(second, 0, sent, first.length, second.length);
            synchronized (keeper) {
                TransportTestSupport.assertSameBytes(keeper.received.toByteArray(), sent, "what the server read");
            }
        } finally {
            keeper.releaseAll();
        }
    }

    /**
     * A handler that closes the channel on AVAILABLE reads nothing more: the receive that fired the event is dropped,
     * also when the handler writes a goodbye first (the close then waits for its send).
     */
    @ParameterizedTest(name = "goodbye written first: {0}")
    @ValueSource(booleans = {false, true})
    void noChannelReadAfterACloseOnAvailable(boolean goodbyeFirst) throws Exception {
        UringIoHandlerConfig config = new UringIoHandlerConfig().setBufferSize(1024).setBufferCount(2)
                .setMaxBufferCount(2);
        EventLoopGroup group = TransportTestSupport.uringGroup(1, config);
        List<ByteBuf> held = new CopyOnWriteArrayList<>();
        AtomicInteger received = new AtomicInteger();
        AtomicBoolean closeCalled = new AtomicBoolean();
        List<String> readsAfterClose = new CopyOnWriteArrayList<>();
        try (ServerSocket listener = new ServerSocket(0, 1, TransportTestSupport.LOOPBACK)) {
            Channel channel = new Bootstrap().group(group).channel(UringSocketChannel.class)
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ByteBuf buffer = (ByteBuf) msg;
                            received.addAndGet(buffer.readableBytes());
                            if (closeCalled.get()) {
                                readsAfterClose.add(buffer.readableBytes() + " bytes");
                                buffer.release();
                            } else {
                                held.add(buffer); // holds every slot: the pool runs dry
                            }
                        }

                        @Override
                        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                            if (event == UringBufferPoolEvent.AVAILABLE) {
                                if (goodbyeFirst) {
                                    ctx.writeAndFlush(ctx.alloc().directBuffer(10).writeZero(10));
                                }
                                closeCalled.set(true);
                                ctx.close(); // with a goodbye, it waits for the goodbye's send
                            }
                        }
                    })
                    .connect(listener.getLocalSocketAddress()).sync().channel();
            try (Socket peer = listener.accept()) {
                OutputStream out = peer.getOutputStream();
                out.write(new byte[8 * 1024]);
                await(() -> received.get() == 8 * 1024, seconds(5), "all of it, past the exhausted pool");
                assertThat(Uring.metrics(group).allocatorReadsWhilePoolExhausted()).isPositive();

                channel.eventLoop().submit(() -> {
                    held.forEach(ByteBuf::release); // the slots come back: the next receive is the pool's
                    held.clear();
                }).get(5, TimeUnit.SECONDS);
                out.write(new byte[100]); // into the allocator receive armed while the pool was dry
                await(() -> received.get() == 8 * 1024 + 100, seconds(5), "the first piece");
                out.write(new byte[100]); // into a slot: AVAILABLE, and the handler closes
                assertThat(channel.closeFuture().await(5, TimeUnit.SECONDS)).as("closed on AVAILABLE").isTrue();
                Thread.sleep(100);
                assertThat(readsAfterClose).as("channelRead after the close on AVAILABLE").isEmpty();
            } finally {
                channel.close().sync();
                held.forEach(ByteBuf::release);
            }
        } finally {
            TransportTestSupport.shutdown(group);
        }
    }
}
