package io.ringline.uring;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.UncheckedBooleanSupplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static io.ringline.uring.TransportTestSupport.assertSameBytes;
import static io.ringline.uring.TransportTestSupport.await;
import static io.ringline.uring.TransportTestSupport.loopback;
import static io.ringline.uring.TransportTestSupport.oneLoopGroup;
import static io.ringline.uring.TransportTestSupport.payload;
import static io.ringline.uring.TransportTestSupport.seconds;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A read loop with the channel's own RecvByteBufAllocator (single-shot receives): while receives come back full and
 * the socket has more, the loop goes on, up to MaxMessagesPerRead reads before one channelReadComplete, as with
 * NIO and epoll.
 */
class ReadLoopTest {
    private static final int MAX_MESSAGES_PER_READ = 8;

    /** Counts the reads between two channelReadCompletes, and keeps the bytes. */
    static final class ReadCounter extends ChannelInboundHandlerAdapter {
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final AtomicInteger mostReadsInOneLoop = new AtomicInteger();
        private int readsInThisLoop;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buffer = (ByteBuf) msg;
            byte[] bytes = new byte[buffer.readableBytes()];
            buffer.readBytes(bytes);
            buffer.release();
            synchronized (received) {
                received.writeBytes(bytes);
            }
            readsInThisLoop++;
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            mostReadsInOneLoop.accumulateAndGet(readsInThisLoop, Math::max);
            readsInThisLoop = 0;
        }

        int size() {
            synchronized (received) {
                return received.size();
            }
        }
    }

    @ParameterizedTest(name = "buffer pool {0}")
    @ValueSource(booleans = {false, true})
    void fullReadsGoOnUpToMaxMessagesPerReadBeforeOneReadComplete(boolean bufferPool) throws Exception {
        ReadCounter counter = new ReadCounter();
        byte[] sent = payload(3, 256 * 1024);
        UringIoHandlerConfig config = new UringIoHandlerConfig().setBufferPool(bufferPool);
        try (EchoServerFixture server = EchoServerFixture.ringline(config, 1, counter, bootstrap -> bootstrap
                .childOption(ChannelOption.RCVBUF_ALLOCATOR,
                        new FixedRecvByteBufAllocator(1024).maxMessagesPerRead(MAX_MESSAGES_PER_READ)));
             Socket client = new Socket(server.address().getAddress(), server.address().getPort())) {
            client.getOutputStream().write(sent);
            await(() -> counter.size() == sent.length, seconds(10), "every byte read");
            synchronized (counter.received) {
                assertSameBytes(counter.received.toByteArray(), sent, "what the server read");
            }
            assertThat(counter.mostReadsInOneLoop.get()).as("reads in one read loop, at most")
                    .isGreaterThan(1).isLessThanOrEqualTo(MAX_MESSAGES_PER_READ);
        }
    }

    /** Records, per readComplete(), what the handle counted since its last reset(). */
    static final class Recording extends AdaptiveRecvByteBufAllocator {
        final List<String> calls = new CopyOnWriteArrayList<>();

        @Override
        public Handle newHandle() {
            RecvByteBufAllocator.ExtendedHandle delegate = (RecvByteBufAllocator.ExtendedHandle) super.newHandle();
            return new RecvByteBufAllocator.ExtendedHandle() {
                private int bytesSinceReset;

                @Override public ByteBuf allocate(ByteBufAllocator alloc) { return delegate.allocate(alloc); }
                @Override public int guess() { return delegate.guess(); }
                @Override public void reset(ChannelConfig config) { bytesSinceReset = 0; calls.add("reset"); delegate.reset(config); }
                @Override public void incMessagesRead(int numMessages) { delegate.incMessagesRead(numMessages); }
                @Override public void lastBytesRead(int bytes) { if (bytes > 0) { bytesSinceReset += bytes; } delegate.lastBytesRead(bytes); }
                @Override public int lastBytesRead() { return delegate.lastBytesRead(); }
                @Override public void attemptedBytesRead(int bytes) { delegate.attemptedBytesRead(bytes); }
                @Override public int attemptedBytesRead() { return delegate.attemptedBytesRead(); }
                @Override public boolean continueReading() { return delegate.continueReading(); }
                @Override public boolean continueReading(UncheckedBooleanSupplier s) { return delegate.continueReading(s); }
                @Override public void readComplete() { calls.add("readComplete " + bytesSinceReset); delegate.readComplete(); }
            };
        }
    }

    /**
     * RecvByteBufAllocator.Handle's contract: reset() starts each read loop and readComplete() ends it, so the totals
     * at readComplete() are that loop's. A multishot recv stays armed across read loops; each must still start with
     * reset(), as NIO's and epoll's do.
     */
    @ParameterizedTest
    @ValueSource(strings = {"nio", "ringline"})
    void everyReadLoopStartsWithReset(String transport) throws Exception {
        boolean nio = transport.equals("nio");
        EventLoopGroup group = oneLoopGroup(transport);
        Recording allocator = new Recording();
        List<Integer> reads = new CopyOnWriteArrayList<>();
        try {
            Class<? extends ServerChannel> type = nio ? NioServerSocketChannel.class : UringServerSocketChannel.class;
            Channel server = new ServerBootstrap().group(group).channel(type)
                    .childOption(ChannelOption.RCVBUF_ALLOCATOR, allocator)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            reads.add(((ByteBuf) msg).readableBytes());
                            ReferenceCountUtil.release(msg);
                        }

                        @Override
                        public void channelReadComplete(ChannelHandlerContext ctx) {
                            ctx.writeAndFlush(ctx.alloc().buffer(1).writeByte(1)); // ack: one read loop done
                        }
                    }).bind(loopback(0)).sync().channel();
            try (Socket client = new Socket()) {
                client.connect(server.localAddress());
                OutputStream out = client.getOutputStream();
                InputStream in = client.getInputStream();
                for (int i = 0; i < 3; i++) {
                    out.write(new byte[100]);
                    out.flush();
                    assertThat(in.read()).isEqualTo(1); // the server's read loop for these 100 bytes ended
                }
            } finally {
                server.close().sync();
            }
            await(() -> allocator.calls.stream().filter(c -> c.startsWith("readComplete")).count() >= 3, seconds(5),
                    "three read loops");
            // Each of the three read loops read 100 bytes and started with reset().
            List<String> loops = allocator.calls.stream().filter(c -> c.startsWith("readComplete")).limit(3).toList();
            assertThat(loops).as("calls: %s", allocator.calls)
                    .containsExactly("readComplete 100", "readComplete 100", "readComplete 100");
        } finally {
            shutdown(group);
        }
    }
}
