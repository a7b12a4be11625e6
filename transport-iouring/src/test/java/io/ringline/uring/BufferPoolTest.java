package io.ringline.uring;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.ringline.uring.child.IdleClientsMain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The registered buffer pool through the real kernel path: zero-copy echo, exhaustion, growth, idle memory. */
class BufferPoolTest {

    /** By default echoes go out with SEND from the slots they arrived in; with registration, with WRITE_FIXED. */
    @ParameterizedTest(name = "registeredBuffers {0}")
    @ValueSource(booleans = {false, true})
    void echoesOfFiftyConnectionsCopyNothingAndGoOutFromTheirPoolSlots(boolean registered) throws Exception {
        int connections = 50;
        int messages = 2_000; // 100,000 round trips in all
        UringIoHandlerConfig config = new UringIoHandlerConfig().setRegisteredBuffers(registered);
        try (EchoServerFixture server = EchoServerFixture.ringline(config, 1, EchoServerFixture.EchoHandler.INSTANCE)) {
            assertThat(pingPong(server, connections, messages)).isEmpty();
            assertSentFromPoolSlotsOnly(server.metrics(), registered);
        }
    }

    /** Every send came from pool slots, copying nothing, and used WRITE_FIXED exactly when registration is on. */
    static void assertSentFromPoolSlotsOnly(UringMetrics metrics, boolean registered) {
        assertThat(metrics.bytesCopiedOnWrite()).as("%s", metrics).isZero();
        assertThat(metrics.poolSlotSends()).as("%s", metrics).isPositive()
                .isEqualTo(metrics.fixedSends() + metrics.plainSends());
        assertThat(registered ? metrics.plainSends() : metrics.fixedSends()).as("%s", metrics).isZero();
    }

    /**
     * Hundreds of connections whose requests land in the same kernel pass run the buffer ring dry for many of them
     * at once. That is one shortage, not one per connection: the pool grows to about what is in flight, never to
     * its cap, and no receive falls back to an allocator buffer.
     */
    @Test
    void manyConnectionsAtOnceGrowThePoolOnlyAsFarAsTheyNeed() throws Exception {
        int connections = 400;
        int messages = 200;
        UringIoHandlerConfig config = new UringIoHandlerConfig().setBufferSize(1024).setBufferCount(64)
                .setMaxBufferCount(4096);
        try (EchoServerFixture server = EchoServerFixture.ringline(config, 1, EchoServerFixture.EchoHandler.INSTANCE)) {
            assertThat(pingPong(server, connections, messages)).isEmpty();
            UringMetrics metrics = server.metrics();
            // At most one request per connection is in flight, each in one slot until its echo is sent.
            assertThat(metrics.poolSlots()).as("%s", metrics).isLessThanOrEqualTo(2L * connections);
            assertThat(metrics.noBufferEvents()).as("each one grew the pool a chunk: %s", metrics)
                    .isLessThanOrEqualTo(metrics.poolSlots() / 64);
            assertThat(metrics.allocatorReadsWhilePoolExhausted()).as("%s", metrics).isZero();
            waitUntilNoSlotInUse(server);
        }
    }

    /** Registered, the gathered slots of one send go out with WRITEV_FIXED (6.15); otherwise with SENDMSG. */
    @ParameterizedTest(name = "registeredBuffers {0}")
    @ValueSource(booleans = {false, true})
    void payloadsLargerThanASlotSpanSlotsAndEchoIntact(boolean registered) throws Exception {
        UringIoHandlerConfig config = new UringIoHandlerConfig().setBufferSize(1024).setBufferCount(64)
                .setRegisteredBuffers(registered);
        try (EchoServerFixture server = EchoServerFixture.ringline(config, 1, EchoServerFixture.EchoHandler.INSTANCE)) {
            EchoTest.assertEchoes(server, 1_000_000);
            assertSentFromPoolSlotsOnly(server.metrics(), registered);
        }
    }

    /**
     * Holds every received buffer until the pool runs dry, then echoes them all: at exhaustion reads go on into
     * allocator buffers, return to the pool as the slots come back, and lose or reorder nothing.
     */
    @Test
    void exhaustionSendsReadsToAllocatorBuffersAndLosesNothing() throws Exception {
        HoldingEcho holder = new HoldingEcho();
        UringIoHandlerConfig config = new UringIoHandlerConfig().setBufferSize(1024).setBufferCount(8)
                .setMaxBufferCount(8);
        try (EchoServerFixture server = EchoServerFixture.ringline(config, 1, holder)) {
            EchoTest.assertEchoes(server, 256 * 1024);
            assertThat(holder.exhausted.get()).isPositive();
            assertThat(holder.available.get()).isPositive();
            UringMetrics metrics = server.metrics();
            assertThat(metrics.noBufferEvents()).as("%s", metrics).isPositive();
            assertThat(metrics.allocatorReadsWhilePoolExhausted()).as("%s", metrics).isPositive();
            assertThat(metrics.poolSlots()).as("%s", metrics).isEqualTo(8);
            waitUntilNoSlotInUse(server);
        }
    }

    /**
     * A peer sends far more than the pool holds, then shuts its output, reading the echo as it comes. Once the server
     * sees the FIN its reads go on until EOF as one read loop, which an echo that flushes in channelReadComplete
     * answers only at its end: the pool runs dry within it, and the rest must still be read, and echoed whole.
     */
    @Test
    void aPeerThatHalfClosesGetsItsWholeEchoThroughAnExhaustedPool() throws Exception {
        byte[] sent = TransportTestSupport.payload(7, 4 * 1024 * 1024);
        UringIoHandlerConfig config = new UringIoHandlerConfig().setBufferSize(1024).setBufferCount(8)
                .setMaxBufferCount(8);
        try (EchoServerFixture server = EchoServerFixture.ringline(config, 1, EchoServerFixture.EchoHandler.INSTANCE);
             Socket socket = new Socket(server.address().getAddress(), server.address().getPort())) {
            socket.setSoTimeout(20_000);
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    socket.getOutputStream().write(sent);
                    socket.shutdownOutput();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            byte[] echoed = socket.getInputStream().readNBytes(sent.length);
            writer.join(5_000);
            assertThat(echoed.length).as("bytes echoed (%s)", server.metrics()).isEqualTo(sent.length);
            TransportTestSupport.assertSameBytes(echoed, sent, "the echo");
            assertThat(server.metrics().noBufferEvents()).as("the pool ran dry").isPositive();
        }
    }

    @Test
    void thePoolGrowsUpToItsCapBeforeReadsFallBackToAllocatorBuffers() throws Exception {
        HoldingEcho holder = new HoldingEcho();
        UringIoHandlerConfig config = new UringIoHandlerConfig().setBufferSize(1024).setBufferCount(8)
                .setMaxBufferCount(32);
        try (EchoServerFixture server = EchoServerFixture.ringline(config, 1, holder)) {
            EchoTest.assertEchoes(server, 256 * 1024);
            assertThat(server.metrics().poolSlots()).isEqualTo(32);
            assertThat(holder.exhausted.get()).isPositive();
            assertThat(server.metrics().allocatorReadsWhilePoolExhausted()).isPositive();
        }
    }

    @Test
    void everySlotComesBackOnceChannelsClose() throws Exception {
        try (EchoServerFixture server = EchoServerFixture.ringline()) {
            for (int i = 0; i < 20; i++) {
                EchoTest.assertEchoes(server, 50_000);
            }
            waitUntilNoSlotInUse(server);
        }
    }

    /** 10,000 idle connections hold no slot: the pool stays at its initial size, nothing in use. */
    @Test
    void tenThousandIdleConnectionsCostNoPoolMemory() throws Exception {
        int count = 10_000;
        CountDownLatch accepted = new CountDownLatch(count);
        ChannelHandler counter = new CountingHandler(accepted);
        UringIoHandlerConfig config = new UringIoHandlerConfig();
        try (EchoServerFixture server = EchoServerFixture.ringline(config, 1, counter)) {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process clients = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    IdleClientsMain.class.getName(), "127.0.0.1", String.valueOf(server.address().getPort()),
                    String.valueOf(count)).redirectErrorStream(true).start();
            try {
                BufferedReader output = new BufferedReader(new InputStreamReader(clients.getInputStream(),
                        StandardCharsets.UTF_8));
                String line = output.readLine();
                assertThat(line).isEqualTo("CONNECTED " + count);
                assertThat(accepted.await(60, TimeUnit.SECONDS)).as("all %d accepted", count).isTrue();
                UringMetrics metrics = server.metrics();
                assertThat(metrics.poolSlots()).as("%s", metrics).isEqualTo(config.getBufferCount());
                assertThat(metrics.slotsInUse()).as("%s", metrics).isZero();
            } finally {
                clients.getOutputStream().close();
                clients.waitFor(30, TimeUnit.SECONDS);
                clients.destroyForcibly();
            }
        }
    }

    /**
     * {@code connections} clients connect, then all at once ping-pong {@code messages} random 512 B echoes and check
     * each byte for byte. Returns what went wrong.
     */
    private static List<Throwable> pingPong(EchoServerFixture server, int connections, int messages)
            throws InterruptedException {
        CountDownLatch allConnected = new CountDownLatch(connections);
        return TransportTestSupport.Clients.start(connections, seed -> {
            try (Socket socket = new Socket(server.address().getAddress(), server.address().getPort())) {
                socket.setTcpNoDelay(true);
                allConnected.countDown();
                allConnected.await();
                OutputStream out = socket.getOutputStream();
                DataInputStream in = new DataInputStream(socket.getInputStream());
                byte[] request = new byte[512];
                byte[] response = new byte[512];
                Random random = new Random(seed);
                for (int i = 0; i < messages; i++) {
                    random.nextBytes(request);
                    out.write(request);
                    in.readFully(response);
                    if (!java.util.Arrays.equals(request, response)) {
                        throw new AssertionError("echo " + i + " of connection " + seed + " differs");
                    }
                }
            }
        }).join(Duration.ofSeconds(120));
    }

    private static void waitUntilNoSlotInUse(EchoServerFixture server) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (server.metrics().slotsInUse() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(server.metrics().slotsInUse()).isZero();
    }

    @ChannelHandler.Sharable
    private static final class CountingHandler extends ChannelInboundHandlerAdapter {
        private final CountDownLatch accepted;

        CountingHandler(CountDownLatch accepted) {
            this.accepted = accepted;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            accepted.countDown();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ((ByteBuf) msg).release();
        }
    }

    /** Keeps what it reads until the pool says it is exhausted, then echoes it all in order. One connection. */
    private static final class HoldingEcho extends ChannelInboundHandlerAdapter {
        final AtomicInteger exhausted = new AtomicInteger();
        final AtomicInteger available = new AtomicInteger();
        private final List<Object> held = new ArrayList<>();
        private boolean releaseScheduled;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            held.add(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            // Hold until the pool is exhausted, or let go a little later: the last bytes may not fill the pool.
            if (!held.isEmpty() && !releaseScheduled) {
                releaseScheduled = true;
                ctx.executor().schedule(() -> release(ctx), 20, TimeUnit.MILLISECONDS);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event == UringBufferPoolEvent.EXHAUSTED) {
                exhausted.incrementAndGet();
                release(ctx);
            } else if (event == UringBufferPoolEvent.AVAILABLE) {
                available.incrementAndGet();
            }
            ctx.fireUserEventTriggered(event);
        }

        private void release(ChannelHandlerContext ctx) {
            releaseScheduled = false;
            for (Object message : held) {
                ctx.write(message);
            }
            held.clear();
            ctx.flush();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            for (Object message : held) {
                io.netty.util.ReferenceCountUtil.release(message);
            }
            held.clear();
        }
    }
}
