package io.ringline.uring;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.ringline.uring.TransportTestSupport.assertRecovered;
import static io.ringline.uring.TransportTestSupport.await;
import static io.ringline.uring.TransportTestSupport.seconds;
import static io.ringline.uring.TransportTestSupport.settledFdCount;
import static org.assertj.core.api.Assertions.assertThat;

/** A burst of connects and closes far past the listen backlog: every accepted socket closes, accept keeps working. */
class ConnectionStormTest {
    private static final int CONNECTIONS = 20_000;
    private static final int CLIENT_THREADS = 8;
    /** Connections each client thread keeps open at once: a few hundred in all, well under the fd limit. */
    private static final int OPEN_PER_THREAD = 32;
    private static final int BACKLOG = 128;

    /** The echo handler, counting the server's connections that are open. */
    @ChannelHandler.Sharable
    static final class CountingEcho extends io.netty.channel.ChannelInboundHandlerAdapter {
        final AtomicInteger accepted = new AtomicInteger();
        final AtomicInteger open = new AtomicInteger();

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            accepted.incrementAndGet();
            open.incrementAndGet();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            open.decrementAndGet();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Test
    void twentyThousandConnectsAndClosesInABurst() throws Exception {
        CountingEcho echo = new CountingEcho();
        try (EchoServerFixture server = EchoServerFixture.ringline(new UringIoHandlerConfig(), 1, echo,
                bootstrap -> bootstrap.option(ChannelOption.SO_BACKLOG, BACKLOG))) {
            EchoTest.assertEchoes(server, 64 * 1024);
            int fdBaseline = settledFdCount(Integer.MAX_VALUE, seconds(5));
            InetSocketAddress address = server.address();
            AtomicInteger next = new AtomicInteger();
            Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
            long overflowsBefore = listenOverflows();
            long start = System.nanoTime();
            List<Thread> clients = new ArrayList<>();
            for (int t = 0; t < CLIENT_THREADS; t++) {
                clients.add(Thread.ofPlatform().start(() -> {
                    ArrayDeque<Socket> open = new ArrayDeque<>();
                    try {
                        int i;
                        while ((i = next.getAndIncrement()) < CONNECTIONS) {
                            // connect() returns once the handshake is done, accepted or not: the accept queue
                            // overflows whenever the loop falls behind the eight threads.
                            Socket socket = new Socket(address.getAddress(), address.getPort());
                            if (i % 2 == 0) {
                                socket.setSoLinger(true, 0); // half of them reset instead of closing cleanly
                            }
                            open.add(socket);
                            if (open.size() > OPEN_PER_THREAD) {
                                open.poll().close();
                            }
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    } finally {
                        for (Socket socket : open) {
                            try {
                                socket.close();
                            } catch (Exception e) {
                                failures.add(e);
                            }
                        }
                    }
                }));
            }
            for (Thread client : clients) {
                client.join(TimeUnit.SECONDS.toMillis(60));
            }
            long burstMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(failures).as("client failures").isEmpty();
            await(() -> echo.open.get() == 0, seconds(20), "every accepted connection to close (open: " + echo.open
                    + ", accepted: " + echo.accepted + ")");
            System.out.printf("connection storm: %d connects in %d ms, %d accepted, %d listen queue overflows%n",
                    CONNECTIONS, burstMillis, echo.accepted.get(), listenOverflows() - overflowsBefore);
            // Linux hands out connections reset before accept() too, so the server sees (nearly) every one.
            assertThat(echo.accepted.get()).as("connections accepted").isGreaterThan(CONNECTIONS * 9 / 10);
            assertRecovered(server, fdBaseline);
        }
    }

    /**
     * TcpExt ListenOverflows of this network namespace (SYNs or handshakes dropped because an accept queue was full),
     * or -1 where /proc/net/netstat cannot tell. For the report only: whether the loop falls behind is timing.
     */
    private static long listenOverflows() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/net/netstat"));
            for (int i = 0; i + 1 < lines.size(); i += 2) {
                String[] names = lines.get(i).split("\\s+");
                String[] values = lines.get(i + 1).split("\\s+");
                for (int k = 1; k < names.length && k < values.length; k++) {
                    if (names[0].equals("TcpExt:") && names[k].equals("ListenOverflows")) {
                        return Long.parseLong(values[k]);
                    }
                }
            }
        } catch (Exception e) {
            // Not there (or not readable): the report says -1.
        }
        return -1;
    }
}
