package io.ringline.uring;

import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.assertRecovered;
import static io.ringline.uring.TransportTestSupport.seconds;
import static io.ringline.uring.TransportTestSupport.settledFdCount;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A ring of 8 entries with a completion queue of 16, and 200 connections whose data all arrives while the loop is held
 * busy: the next pass finds far more completions than the queue holds. None may be lost: every echo comes back.
 */
class CompletionQueueOverflowTest {
    private static final int CONNECTIONS = 200;
    private static final int ROUNDS = 5;

    @Test
    void completionsBeyondATinyCompletionQueueAreNotLost() throws Exception {
        UringIoHandlerConfig config = new UringIoHandlerConfig().setRingSize(8).setCompletionQueueSize(16);
        try (EchoServerFixture server = EchoServerFixture.ringline(config, 1, EchoServerFixture.EchoHandler.INSTANCE)) {
            EchoTest.assertEchoes(server, 64 * 1024);
            int fdBaseline = settledFdCount(Integer.MAX_VALUE, seconds(5));
            long overflowsBefore = server.metrics().completionQueueOverflows();
            InetSocketAddress address = server.address();
            Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
            // Each round: the test holds the loop in a task; every client sends; the loop is let go.
            CyclicBarrier connected = new CyclicBarrier(CONNECTIONS + 1);
            CountDownLatch[] sent = new CountDownLatch[ROUNDS];
                CountDownLatch[] held = new CountDownLatch[ROUNDS];
            CountDownLatch[] echoed = new CountDownLatch[ROUNDS];
            for (int r = 0; r < ROUNDS; r++) {
                sent[r] = new CountDownLatch(CONNECTIONS);
                held[r] = new CountDownLatch(1);
                echoed[r] = new CountDownLatch(CONNECTIONS);
            }
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < CONNECTIONS; c++) {
                int seed = c;
                clients.add(Thread.ofVirtual().start(() -> {
                    try (Socket socket = new Socket(address.getAddress(), address.getPort())) {
                        socket.setTcpNoDelay(true);
                        socket.setSoTimeout(30_000);
                        connected.await(30, TimeUnit.SECONDS);
                        OutputStream out = socket.getOutputStream();
                        DataInputStream in = new DataInputStream(socket.getInputStream());
                        Random random = new Random(seed);
                        for (int r = 0; r < ROUNDS; r++) {
                            held[r].await(30, TimeUnit.SECONDS);
                            byte[] request = new byte[1 + random.nextInt(2048)];
                            random.nextBytes(request);
                            try {
                                out.write(request);
                            } finally {
                                sent[r].countDown();
                            }
                            byte[] response = new byte[request.length];
                            in.readFully(response);
                            if (!Arrays.equals(request, response)) {
                                throw new AssertionError("round " + r + " of connection " + seed + ": echo differs");
                            }
                            echoed[r].countDown();
                        }
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                }));
            }
            connected.await(30, TimeUnit.SECONDS);
            Thread.sleep(200); // every accept is handled and every multishot recv armed
            for (int r = 0; r < ROUNDS; r++) {
                CountDownLatch allSent = sent[r];
                CountDownLatch loopHeld = new CountDownLatch(1);
                server.group.next().execute(() -> {
                    loopHeld.countDown();
                    try {
                        allSent.await(30, TimeUnit.SECONDS); // the data piles up in the sockets meanwhile
                        Thread.sleep(50); // and the last of it reaches the server's sockets
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                assertThat(loopHeld.await(10, TimeUnit.SECONDS)).as("loop held in round %d", r).isTrue();
                held[r].countDown();
                // The next round holds the loop only once this one's echoes are all back.
                assertThat(echoed[r].await(30, TimeUnit.SECONDS)).as("every echo of round %d back (failures: %s)", r,
                        failures).isTrue();
            }
            for (Thread client : clients) {
                client.join(TimeUnit.SECONDS.toMillis(60));
            }
            assertThat(failures).as("failures (first: %s)", failures.peek()).isEmpty();
            UringMetrics metrics = server.metrics();
            System.out.println("CQ overflow test: " + metrics);
            // 200 receives complete at once into a queue of 16: the kernel has to park the rest.
            assertThat(metrics.completionQueueOverflows() - overflowsBefore).as("%s", metrics).isPositive();
            assertRecovered(server, fdBaseline);
        }
    }
}
