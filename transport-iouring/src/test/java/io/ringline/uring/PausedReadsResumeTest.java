package io.ringline.uring;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reads paused on an empty pool resume as soon as another thread gives the slots back, not at the next unrelated
 * completion or timer.
 */
class PausedReadsResumeTest {

    @ChannelHandler.Sharable
    static final class HoldThenReleaseElsewhere extends ChannelInboundHandlerAdapter {
        final List<ByteBuf> held = new ArrayList<>();
        final java.util.concurrent.atomic.AtomicBoolean releaseStarted = new java.util.concurrent.atomic.AtomicBoolean();
        final AtomicLong releasedAt = new AtomicLong();
        final AtomicLong availableAt = new AtomicLong();
        final CountDownLatch available = new CountDownLatch(1);

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            // Some timer far out on the loop (an idle-state handler, say): the loop may then sleep until it is due.
            ctx.executor().schedule(() -> { }, 30, TimeUnit.SECONDS);
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            synchronized (held) {
                held.add((ByteBuf) msg);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == UringBufferPoolEvent.EXHAUSTED && releaseStarted.compareAndSet(false, true)) {
                Thread.ofPlatform().start(() -> { // a worker thread done with the buffers
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                    releasedAt.set(System.nanoTime());
                    releaseAll();
                });
            } else if (evt == UringBufferPoolEvent.AVAILABLE && availableAt.get() == 0) {
                availableAt.set(System.nanoTime());
                available.countDown();
            }
        }

        void releaseAll() {
            synchronized (held) {
                held.forEach(ByteBuf::release);
                held.clear();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            releaseAll();
        }
    }

    @Test
    void readsResumePromptlyWhenAnotherThreadReleasesTheSlots() throws Exception {
        HoldThenReleaseElsewhere handler = new HoldThenReleaseElsewhere();
        UringIoHandlerConfig config = new UringIoHandlerConfig().setBufferSize(1024).setBufferCount(2)
                .setMaxBufferCount(2);
        try (EchoServerFixture server = EchoServerFixture.ringline(config, 1, handler);
             Socket socket = new Socket(server.address().getAddress(), server.address().getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(new byte[64 * 1024]);
            out.flush();
            boolean resumed = handler.available.await(10, TimeUnit.SECONDS);
            long lagMillis = TimeUnit.NANOSECONDS.toMillis(handler.availableAt.get() - handler.releasedAt.get());
            assertThat(resumed).as("AVAILABLE within 10 s of the release (%s)", server.metrics()).isTrue();
            assertThat(lagMillis).as("ms from the release to AVAILABLE").isLessThan(500);
        } finally {
            handler.releaseAll();
        }
    }
}
