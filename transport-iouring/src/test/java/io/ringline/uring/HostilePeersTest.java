package io.ringline.uring;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.ringline.uring.TransportTestSupport.Clients;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static io.ringline.uring.TransportTestSupport.assertRecovered;
import static io.ringline.uring.TransportTestSupport.assertSameBytes;
import static io.ringline.uring.TransportTestSupport.await;
import static io.ringline.uring.TransportTestSupport.payload;
import static io.ringline.uring.TransportTestSupport.seconds;
import static io.ringline.uring.TransportTestSupport.settledFdCount;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Peers that reset, vanish with data in flight, half-close, or never read: the server's channels close, nothing leaks
 * (fds, pool slots, buffers: the leak guard) and the loop goes on serving.
 */
class HostilePeersTest {
    private static final int CHUNK = 64 * 1024;
    private static final byte[] CHUNK_BYTES = payload(7, CHUNK);

    private EchoServerFixture server;
    /** The server's channels other than the echo ones (blasters, pumps), to check that they all close. */
    private final Queue<Channel> children = new ConcurrentLinkedQueue<>();
    private int fdBaseline;

    @BeforeEach
    void startServer() throws Exception {
        server = EchoServerFixture.ringline();
        EchoTest.assertEchoes(server, 64 * 1024); // what the JDK opens lazily is open before the baseline
    }

    @AfterEach
    void stopServer() throws Exception {
        server.close();
    }

    private void takeFdBaseline() throws Exception {
        fdBaseline = settledFdCount(Integer.MAX_VALUE, seconds(5));
    }

    /** Binds another server on the fixture's loop whose children run {@code handler} (one instance each). */
    private InetSocketAddress bindOnServerLoop(Supplier<ChannelInboundHandlerAdapter> handler,
                                               WriteBufferWaterMark waterMark) throws Exception {
        ServerBootstrap bootstrap = new ServerBootstrap().group(server.group).channel(UringServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        children.add(ch);
                        ch.pipeline().addLast(handler.get());
                    }
                });
        if (waterMark != null) {
            bootstrap.childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark)
                    .childOption(ChannelOption.SO_SNDBUF, 16 * 1024);
        }
        Channel extra = bootstrap.bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        children.add(extra); // closed with the others at the end of the test
        return (InetSocketAddress) extra.localAddress();
    }

    private void assertChildrenClosed() throws InterruptedException {
        for (Channel child : children) {
            if (child.parent() != null) {
                assertThat(child.closeFuture().await(10, TimeUnit.SECONDS)).as("%s closed", child).isTrue();
            }
        }
        for (Channel child : children) {
            child.close().await(5, TimeUnit.SECONDS);
        }
    }

    /** Writes 16 MiB as soon as a peer connects, far more than the socket buffers hold; records how it ended. */
    static final class Blaster extends ChannelInboundHandlerAdapter {
        static final Queue<ChannelFuture> LAST_WRITES = new ConcurrentLinkedQueue<>();

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ChannelFuture last = null;
            for (int i = 0; i < 256; i++) {
                last = ctx.write(ctx.alloc().directBuffer(CHUNK).writeBytes(CHUNK_BYTES));
            }
            ctx.flush();
            LAST_WRITES.add(last);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Test
    void resetWhileTheServerWritesALargeResponse() throws Exception {
        InetSocketAddress blaster = bindOnServerLoop(Blaster::new, null);
        Blaster.LAST_WRITES.clear();
        takeFdBaseline();
        assertThat(Clients.start(20, seed -> {
            try (Socket socket = new Socket(blaster.getAddress(), blaster.getPort())) {
                InputStream in = socket.getInputStream();
                byte[] buffer = new byte[16 * 1024];
                int total = 0;
                while (total < 256 * 1024) { // the response is well under way
                    int n = in.read(buffer);
                    assertThat(n).isPositive();
                    total += n;
                }
                socket.setSoLinger(true, 0); // close() sends RST
            }
        }).join(seconds(30))).isEmpty();
        assertChildrenClosed();
        assertThat(Blaster.LAST_WRITES).hasSize(20);
        for (ChannelFuture write : Blaster.LAST_WRITES) {
            assertThat(write.await(5, TimeUnit.SECONDS)).as("the last write of a reset connection completed").isTrue();
            assertThat(write.isSuccess()).as("16 MiB went out to a peer that reset after 256 KiB").isFalse();
        }
        assertRecovered(server, fdBaseline);
    }

    @Test
    void resetWhileThePeerIsSending() throws Exception {
        takeFdBaseline();
        InetSocketAddress address = server.address();
        assertThat(Clients.start(20, seed -> {
            Socket socket = new Socket(address.getAddress(), address.getPort());
            OutputStream out = socket.getOutputStream();
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    byte[] data = payload(seed, CHUNK);
                    for (int i = 0; i < 1024; i++) { // 64 MiB: it never gets there, nobody reads the echo
                        out.write(data);
                    }
                } catch (Exception e) {
                    // The reset below closes the socket under the writer.
                }
            });
            Thread.sleep(50 + seed * 5);
            socket.setSoLinger(true, 0);
            socket.close(); // RST while the writer is in the middle of sending
            writer.join(10_000);
        }).join(seconds(30))).isEmpty();
        assertRecovered(server, fdBaseline);
    }

    @Test
    void peersThatCloseWithDataInFlight() throws Exception {
        takeFdBaseline();
        InetSocketAddress address = server.address();
        assertThat(Clients.start(50, seed -> {
            try (Socket socket = new Socket(address.getAddress(), address.getPort())) {
                // Half a megabyte, then gone without reading a byte of the echo: the server's echo writes hit a
                // closed socket, some of what was sent is still in the server's receive queue.
                socket.getOutputStream().write(payload(seed, 512 * 1024));
            } catch (SocketException e) {
                // The server's echo may already have reset the connection; that is the point.
            }
        }).join(seconds(30))).isEmpty();
        assertRecovered(server, fdBaseline);
    }

    @Test
    void halfClosedPeersGetTheirWholeEchoThenEndOfStream() throws Exception {
        takeFdBaseline();
        InetSocketAddress address = server.address();
        assertThat(Clients.start(30, seed -> {
            try (Socket socket = new Socket(address.getAddress(), address.getPort())) {
                socket.setSoTimeout(20_000);
                // A third of them send nothing at all before shutting their output.
                byte[] data = payload(seed, seed % 3 == 0 ? 0 : 100_000 + seed * 1000);
                socket.getOutputStream().write(data);
                socket.shutdownOutput();
                // The server (no ALLOW_HALF_CLOSURE) closes on our FIN, but only after what it echoed went out.
                byte[] echoed = socket.getInputStream().readAllBytes();
                assertSameBytes(echoed, data, "echo of half-closed peer " + seed);
            }
        }).join(seconds(30))).isEmpty();
        assertRecovered(server, fdBaseline);
    }

    /** Writes while the channel is writable, resumes when it is again, and records the largest backlog it saw. */
    static final class Pump extends ChannelInboundHandlerAdapter {
        static final AtomicLong MAX_PENDING = new AtomicLong();
        static final AtomicLong WRITTEN = new AtomicLong();
        static volatile boolean becameUnwritable;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            pump(ctx.channel());
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (!ctx.channel().isWritable()) {
                becameUnwritable = true;
            }
            pump(ctx.channel());
        }

        private static void pump(Channel channel) {
            while (channel.isActive() && channel.isWritable()) {
                channel.write(channel.alloc().directBuffer(CHUNK).writeBytes(CHUNK_BYTES));
                WRITTEN.addAndGet(CHUNK);
                var outbound = channel.unsafe().outboundBuffer();
                if (outbound != null) {
                    MAX_PENDING.accumulateAndGet(outbound.totalPendingWriteBytes(), Math::max);
                }
            }
            channel.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Test
    void aReaderThatNeverReadsIsHeldAtTheHighWaterMarkWhileOthersEcho() throws Exception {
        WriteBufferWaterMark waterMark = new WriteBufferWaterMark(32 * 1024, 128 * 1024);
        Pump.MAX_PENDING.set(0);
        Pump.WRITTEN.set(0);
        Pump.becameUnwritable = false;
        InetSocketAddress pumpAddress = bindOnServerLoop(Pump::new, waterMark);
        takeFdBaseline();
        Socket stalled = new Socket();
        try {
            stalled.setReceiveBufferSize(16 * 1024);
            stalled.connect(pumpAddress);
            await(() -> Pump.becameUnwritable, seconds(10), "the pumped channel to become unwritable");
            long written;
            do { // the kernel buffers fill up first; then the pump stops for good
                written = Pump.WRITTEN.get();
                Thread.sleep(300);
            } while (Pump.WRITTEN.get() != written);

            // Meanwhile other connections of the same loop echo as usual.
            List<Thread> echoes = new ArrayList<>();
            Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
            for (int c = 0; c < 5; c++) {
                echoes.add(Thread.ofVirtual().start(() -> {
                    try {
                        EchoTest.assertEchoes(server, 512 * 1024);
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                }));
            }
            for (Thread echo : echoes) {
                echo.join(TimeUnit.SECONDS.toMillis(30));
            }
            assertThat(failures).isEmpty();
            assertThat(Pump.WRITTEN.get()).as("bytes the pump wrote to a reader that never reads")
                    .isEqualTo(written).isLessThan(32L * 1024 * 1024);
            assertThat(Pump.MAX_PENDING.get()).as("largest ChannelOutboundBuffer backlog")
                    .isLessThanOrEqualTo(waterMark.high() + CHUNK);
        } finally {
            stalled.setSoLinger(true, 0);
            stalled.close();
        }
        assertChildrenClosed();
        assertRecovered(server, fdBaseline);
    }
}
