package io.ringline.uring;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.await;
import static io.ringline.uring.TransportTestSupport.payload;
import static io.ringline.uring.TransportTestSupport.seconds;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every pool slot comes back to the loop's pool once the channels are gone, however they went: reset in the middle
 * of echoes, or with received buffers still held (and released later, from other threads) by the application.
 */
class PoolSlotsReturnTest {

    @Test
    void slotsComeBackWhenPeersResetInTheMiddleOfEchoes() throws Exception {
        try (EchoServerFixture server = EchoServerFixture.ringline()) {
            List<Thread> peers = new ArrayList<>();
            CountDownLatch echoing = new CountDownLatch(20);
            for (int i = 0; i < 20; i++) {
                int seed = i;
                peers.add(Thread.ofVirtual().start(() -> {
                    try (Socket socket = new Socket(server.address().getAddress(), server.address().getPort())) {
                        OutputStream out = socket.getOutputStream();
                        InputStream in = socket.getInputStream();
                        byte[] chunk = payload(seed, 64 * 1024);
                        out.write(chunk);
                        in.readNBytes(1000); // echoes are flowing
                        echoing.countDown();
                        out.write(chunk); // more echoes queue up: this peer stops reading
                        socket.setSoLinger(true, 0); // close with a reset, under the server's sends and receives
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                }));
            }
            assertThat(echoing.await(30, TimeUnit.SECONDS)).isTrue();
            for (Thread peer : peers) {
                peer.join(30_000);
            }
            await(() -> server.metrics().slotsInUse() == 0, seconds(10), "every pool slot back after the resets");
        }
    }

    /** Hands every received buffer to the test thread instead of releasing it. */
    @ChannelHandler.Sharable
    static final class Keeper extends ChannelInboundHandlerAdapter {
        final BlockingQueue<ByteBuf> kept = new LinkedBlockingQueue<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buffer = (ByteBuf) msg;
            kept.add(buffer.readableBytes() > 100 ? buffer.retainedSlice(0, 100) : buffer.retain());
            buffer.release();
        }
    }

    @Test
    void slotsHeldPastTheCloseComeBackWhenAnotherThreadReleasesThem() throws Exception {
        Keeper keeper = new Keeper();
        try (EchoServerFixture server = EchoServerFixture.ringline(new UringIoHandlerConfig(), 1, keeper)) {
            for (int i = 0; i < 5; i++) {
                try (Socket socket = new Socket(server.address().getAddress(), server.address().getPort())) {
                    socket.getOutputStream().write(payload(i, 40_000));
                    socket.getOutputStream().flush();
                    await(() -> !keeper.kept.isEmpty(), seconds(5), "the server to read");
                }
            }
            Thread.sleep(100); // the closes reach the server
            assertThat(server.metrics().slotsInUse()).as("slots the application still holds").isPositive();
            ByteBuf buffer;
            while ((buffer = keeper.kept.poll()) != null) {
                buffer.release(); // not on the loop thread: the slot goes back through a task
            }
            await(() -> server.metrics().slotsInUse() == 0, seconds(5), "every pool slot back");
        }
    }

    /**
     * The application still holds received buffers when the loop shuts down: they stay readable (the pool keeps its
     * memory mapped until the last slot comes back; unmapped, a read would crash the JVM), and releasing them from
     * another thread once the loop is gone gives the memory back.
     */
    @Test
    void aSlotHeldPastItsLoopsEndStaysReadableAndReleasesHarmlessly() throws Exception {
        Keeper keeper = new Keeper();
        byte[] sent = payload(1, 500);
        EchoServerFixture server = EchoServerFixture.ringline(new UringIoHandlerConfig(), 1, keeper);
        try (Socket socket = new Socket(server.address().getAddress(), server.address().getPort())) {
            socket.getOutputStream().write(sent);
            await(() -> !keeper.kept.isEmpty(), seconds(5), "the server to read");
        } finally {
            server.close();
        }
        ByteBuf buffer;
        while ((buffer = keeper.kept.poll()) != null) {
            byte[] held = new byte[buffer.readableBytes()];
            buffer.getBytes(buffer.readerIndex(), held);
            assertThat(held).as("a held buffer after its loop ended").isEqualTo(Arrays.copyOf(sent, held.length));
            assertThat(buffer.release()).isTrue();
        }
    }
}
