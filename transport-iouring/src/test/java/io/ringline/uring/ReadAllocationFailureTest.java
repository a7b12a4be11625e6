package io.ringline.uring;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.LOOPBACK;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static io.ringline.uring.TransportTestSupport.socketChannelType;
import static io.ringline.uring.TransportTestSupport.uringGroup;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The buffer for the next read cannot be allocated (direct memory exhausted: OutOfMemoryError "Direct buffer
 * memory"), in the RCVBUF_ALLOCATOR path Ringline takes without the pool or while the pool is exhausted. As with NIO,
 * the channel hears of it (exceptionCaught with the error) and closes, and its event loop goes on: an Error thrown out
 * of the loop's own work would end the loop thread and strand every channel on it.
 */
class ReadAllocationFailureTest {

    /** Unpooled, but a direct allocation fails once {@link #fail} is set. */
    static final class FailingAllocator extends AbstractByteBufAllocator {
        volatile boolean fail;

        FailingAllocator() {
            super(true);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            return UnpooledByteBufAllocator.DEFAULT.heapBuffer(initialCapacity, maxCapacity);
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            if (fail) {
                throw new OutOfMemoryError("Direct buffer memory");
            }
            return UnpooledByteBufAllocator.DEFAULT.directBuffer(initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nio", "ringline"})
    void aReadBufferThatCannotBeAllocatedFailsTheChannelNotTheLoop(String transport) throws Exception {
        EventLoopGroup group = transport.equals("nio")
                ? new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory())
                : uringGroup(1, new UringIoHandlerConfig().setBufferPool(false));
        FailingAllocator allocator = new FailingAllocator();
        Queue<Throwable> caught = new ConcurrentLinkedQueue<>();
        java.util.concurrent.CountDownLatch firstRead = new java.util.concurrent.CountDownLatch(1);
        try (ServerSocket listener = new ServerSocket(0, 1, LOOPBACK)) {
            Channel channel = new Bootstrap().group(group).channel(socketChannelType(transport))
                    .option(ChannelOption.ALLOCATOR, allocator)
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ReferenceCountUtil.release(msg);
                            allocator.fail = true; // the next read's buffer cannot be had
                            firstRead.countDown();
                        }

                        @Override
                        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                            caught.add(cause);
                        }
                    })
                    .connect(new InetSocketAddress(LOOPBACK, listener.getLocalPort())).sync().channel();
            try (Socket peer = listener.accept()) {
                OutputStream out = peer.getOutputStream();
                out.write(new byte[100]);
                out.flush();
                assertThat(firstRead.await(10, TimeUnit.SECONDS)).as("first read").isTrue();
                out.write(new byte[100]); // NIO allocates for this one (Ringline has allocated already)
                out.flush();
                assertThat(channel.closeFuture().await(10, TimeUnit.SECONDS)).as("channel closed (caught: %s)",
                        caught).isTrue();
                System.out.println(transport + ": exceptionCaught " + caught + ", loop terminated: "
                        + group.isTerminated());
                assertThat(caught).as("exceptionCaught").anyMatch(t -> t instanceof OutOfMemoryError);
                allocator.fail = false;
                // The loop still runs tasks.
                assertThat(group.next().submit(() -> "alive").await(5, TimeUnit.SECONDS))
                        .as("the event loop still runs tasks").isTrue();
            }
        } finally {
            allocator.fail = false;
            shutdown(group);
        }
    }
}
