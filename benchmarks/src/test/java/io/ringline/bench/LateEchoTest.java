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
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A server that answers each request with the bytes of a request it got earlier is the other kind of bug the load
 * client's verification exists for ("stale echoes are caught"). Requests are read from a pattern at a shifting
 * offset; when those offsets repeat every Payload.SHIFTS (251) requests, an echo exactly 251 requests late equals the
 * request byte for byte and every one verifies. The server below answers the first {@code LAG} requests honestly,
 * then each with the one {@code LAG} before it.
 */
class LateEchoTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final int LENGTH = 64;

    @ParameterizedTest
    @EnumSource(ClientMode.class)
    void echoesAWholeCycleLateAreErrors(ClientMode mode) throws Exception {
        int lag = Payload.SHIFTS;
        try (LaggingServer server = new LaggingServer(lag);
             LoadClient client = LoadClient.connect(mode, LoadSpec.continuous(server.address(), 1, LENGTH),
                     TIMEOUT)) {
            client.start();
            // Not a timing assertion: the deadline only bounds the wait for enough late echoes.
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (server.lateEchoes() < 4L * lag && System.nanoTime() - deadline < 0) {
                Thread.sleep(5);
            }
            client.stop(Duration.ofSeconds(1));
            LoadCounters counters = client.counters();

            long late = server.lateEchoes();
            assertThat(late).as("echoes the server sent %d requests late", lag).isGreaterThanOrEqualTo(4L * lag);
            // The honest first `lag` echoes verify; of the late ones, only chance coincidences may.
            assertThat(counters.responses() - lag).as("late echoes that verified, of %d; counters %s", late, counters)
                    .isLessThanOrEqualTo(late / 20);
        }
    }

    /** One connection at a time; answers request i with request i - lag once it has seen lag of them. */
    private static final class LaggingServer implements AutoCloseable {
        private final ServerSocket listener = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        private final AtomicLong lateEchoes = new AtomicLong();
        private volatile Socket socket;

        LaggingServer(int lag) throws IOException {
            Thread thread = new Thread(() -> {
                try (Socket accepted = listener.accept()) {
                    socket = accepted;
                    InputStream in = accepted.getInputStream();
                    OutputStream out = accepted.getOutputStream();
                    ArrayDeque<byte[]> earlier = new ArrayDeque<>();
                    for (byte[] request; (request = in.readNBytes(LENGTH)).length == LENGTH; ) {
                        earlier.addLast(request);
                        if (earlier.size() <= lag) {
                            out.write(request);
                        } else {
                            out.write(earlier.removeFirst());
                            lateEchoes.incrementAndGet();
                        }
                    }
                } catch (IOException closed) {
                    // the client went away
                }
            }, "lagging-server");
            thread.setDaemon(true);
            thread.start();
        }

        InetSocketAddress address() {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
        }

        long lateEchoes() {
            return lateEchoes.get();
        }

        @Override
        public void close() throws IOException {
            listener.close();
            Socket accepted = socket;
            if (accepted != null) {
                accepted.close();
            }
        }
    }
}
