package io.ringline.uring;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

import static io.ringline.uring.TransportTestSupport.assertSameBytes;
import static io.ringline.uring.TransportTestSupport.await;
import static io.ringline.uring.TransportTestSupport.payload;
import static io.ringline.uring.TransportTestSupport.seconds;
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
}
