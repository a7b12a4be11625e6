package io.ringline.uring;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.ringline.uring.TransportTestSupport.assertSameBytes;
import static io.ringline.uring.TransportTestSupport.await;
import static io.ringline.uring.TransportTestSupport.payload;
import static io.ringline.uring.TransportTestSupport.seconds;
import static org.assertj.core.api.Assertions.assertThat;

/** Many connections at once on a single loop, all echoing byte for byte. */
class ManyConnectionsTest {
    private static final int WANTED_CONNECTIONS = 1000;
    private static final int MESSAGES = 4;
    /** Descriptors the JVM, the ring and the listener need beside the connections. */
    private static final int FD_HEADROOM = 256;

    @Test
    void echoesOnAThousandConcurrentConnectionsOnOneLoop() throws Exception {
        // Each connection costs two descriptors here (client and server end), and a test cannot raise
        // RLIMIT_NOFILE from Java: with a low soft limit (1024 is common) use as many connections as fit.
        int connections = (int) Math.min(WANTED_CONNECTIONS,
                (TransportTestSupport.openFileLimit() - FD_HEADROOM) / 2);
        assertThat(connections).as("connections the open file limit allows").isGreaterThanOrEqualTo(100);

        AtomicInteger open = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        @ChannelHandler.Sharable
        class Counter extends ChannelInboundHandlerAdapter {
            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                peak.accumulateAndGet(open.incrementAndGet(), Math::max);
                ctx.fireChannelActive();
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                open.decrementAndGet();
                ctx.fireChannelInactive();
            }
        }
        Counter counter = new Counter();
        ChannelInitializer<Channel> initializer = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(counter, EchoServerFixture.EchoHandler.INSTANCE);
            }
        };

        try (EchoServerFixture server = EchoServerFixture.ringline(new UringIoHandlerConfig(), 1, initializer);
             ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            CountDownLatch allConnected = new CountDownLatch(connections);
            List<Future<?>> results = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                int connection = i;
                results.add(clients.submit(() -> {
                    try (Socket socket = new Socket(server.address().getAddress(), server.address().getPort())) {
                        allConnected.countDown();
                        // Every connection is open before any echoes: the loop serves them all at once.
                        assertThat(allConnected.await(60, TimeUnit.SECONDS)).as("all connected").isTrue();
                        OutputStream out = socket.getOutputStream();
                        DataInputStream in = new DataInputStream(socket.getInputStream());
                        for (int m = 0; m < MESSAGES; m++) {
                            // Sizes from 1 byte to more than a pool slot (16 KiB), so some replies take two reads.
                            int size = m == MESSAGES - 1
                                    ? 20_000 + connection
                                    : 1 + (connection * 37 + m * 1009) % 4096;
                            byte[] request = payload(connection * 31L + m, size);
                            out.write(request);
                            byte[] response = new byte[size];
                            in.readFully(response);
                            assertSameBytes(response, request, "echo " + m + " of connection " + connection);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> result : results) {
                result.get(90, TimeUnit.SECONDS);
            }
            assertThat(peak.get()).as("server connections open at the same time").isEqualTo(connections);
            await(() -> open.get() == 0, seconds(10), "the server to see every connection close");
            await(() -> server.metrics().slotsInUse() == 0, seconds(5), "every pool slot back");
        }
    }
}
