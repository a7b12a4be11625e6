package io.ringline.bench;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A server that delivers one connection's bytes to another connection is exactly the kind of transport bug the
 * load client's verification exists for ("stale or crossed echoes are caught"). Connections 0 and 251 start at the
 * same offset of the one shared pattern (Payload.SHIFTS = 251) and, crossed, advance in lock step: every crossed
 * echo equals the request byte for byte, so the client counts each one as a verified response and reports no error.
 * Any run with more than 251 connections (./bench's c500 scenario) has such pairs.
 */
class CrossedEchoTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final int CONNECTIONS = 252;
    private static final int LENGTH = 512;

    @ParameterizedTest
    @EnumSource(ClientMode.class)
    void echoesDeliveredToAnotherConnectionAreErrors(ClientMode mode) throws Exception {
        try (CrossingServer server = new CrossingServer(0, 251);
             LoadClient client = LoadClient.connect(mode, LoadSpec.continuous(server.address(), CONNECTIONS, LENGTH),
                     TIMEOUT)) {
            client.start();
            // Not a timing assertion: the deadline only bounds the wait for the crossed pair to exchange 20 messages.
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (server.crossedBytes() < 20L * LENGTH && System.nanoTime() - deadline < 0) {
                Thread.sleep(5);
            }
            // Read before stopping: the stop itself may leave one of the crossed pair waiting for the other.
            LoadCounters running = client.counters();
            client.stop(Duration.ofSeconds(1));

            assertThat(server.crossedBytes()).as("bytes the server delivered to the wrong connection")
                    .isGreaterThanOrEqualTo(20L * LENGTH);
            assertThat(running.errors()).as("errors after %d crossed bytes; counters %s", server.crossedBytes(), running)
                    .isGreaterThanOrEqualTo(2);
        }
    }

    /**
     * Echoes every connection, but for the two accepted as numbers {@code a} and {@code b} (0-based, in accept order,
     * which is the load client's connection order: it connects one after another), which get each other's bytes.
     */
    private static final class CrossingServer implements AutoCloseable {
        private final ServerSocket listener = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        private final AtomicLong crossedAtoB = new AtomicLong();
        private final AtomicLong crossedBtoA = new AtomicLong();

        CrossingServer(int a, int b) throws IOException {
            Thread acceptor = new Thread(() -> {
                Socket first = null;
                try {
                    for (int accepted = 0; ; accepted++) {
                        Socket socket = listener.accept();
                        sockets.add(socket);
                        if (accepted == a) {
                            first = socket;
                        } else if (accepted == b) {
                            relay(first, socket, crossedAtoB);
                            relay(socket, first, crossedBtoA);
                        } else {
                            relay(socket, socket, null);
                        }
                    }
                } catch (IOException closed) {
                    // close() ends the loop
                }
            }, "crossing-accept");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        InetSocketAddress address() {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
        }

        /** The fewer of the bytes relayed each way between the crossed pair. */
        long crossedBytes() {
            return Math.min(crossedAtoB.get(), crossedBtoA.get());
        }

        private static void relay(Socket from, Socket to, AtomicLong counter) {
            Thread thread = new Thread(() -> {
                byte[] buffer = new byte[64 * 1024];
                try {
                    InputStream in = from.getInputStream();
                    OutputStream out = to.getOutputStream();
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        out.write(buffer, 0, n);
                        if (counter != null) {
                            counter.addAndGet(n);
                        }
                    }
                } catch (IOException closed) {
                    // the client went away
                }
            }, "crossing-relay");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws IOException {
            listener.close();
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }
}
