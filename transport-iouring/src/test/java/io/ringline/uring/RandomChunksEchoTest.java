package io.ringline.uring;

import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import static io.ringline.uring.TransportTestSupport.assertRecovered;
import static io.ringline.uring.TransportTestSupport.seconds;
import static io.ringline.uring.TransportTestSupport.settledFdCount;
import static org.assertj.core.api.Assertions.assertThat;

/** Many connections send chunks of random size split at random points; each echoed chunk comes back whole and in order. */
class RandomChunksEchoTest {
    private static final int CONNECTIONS = 16;
    private static final int CHUNKS = 24;
    private static final int MAX_CHUNK = 200 * 1024;

    /** A chunk as the writer sent it: its length and CRC32. */
    private record Sent(int length, long crc) { }

    @Test
    void randomSizedSplitWritesEchoIntactAndInOrder() throws Exception {
        // Small slots: most chunks span several receives.
        UringIoHandlerConfig config = new UringIoHandlerConfig().setBufferSize(4096).setBufferCount(128);
        try (EchoServerFixture server = EchoServerFixture.ringline(config, 1, EchoServerFixture.EchoHandler.INSTANCE)) {
            EchoTest.assertEchoes(server, 64 * 1024);
            int fdBaseline = settledFdCount(Integer.MAX_VALUE, seconds(5));
            InetSocketAddress address = server.address();
            Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < CONNECTIONS; c++) {
                long seed = 1000 + c;
                threads.add(Thread.ofVirtual().start(() -> {
                    try (Socket socket = new Socket(address.getAddress(), address.getPort())) {
                        socket.setTcpNoDelay(true); // each piece of a split goes out as its own segment
                        socket.setSoTimeout(30_000);
                        BlockingQueue<Sent> sent = new LinkedBlockingQueue<>();
                        Thread writer = Thread.ofVirtual().start(() -> write(socket, seed, sent, failures));
                        DataInputStream in = new DataInputStream(socket.getInputStream());
                        for (int i = 0; i < CHUNKS; i++) {
                            Sent expected = sent.poll(30, TimeUnit.SECONDS);
                            assertThat(expected).as("chunk %d of connection %d was sent", i, seed).isNotNull();
                            byte[] echoed = new byte[expected.length()];
                            in.readFully(echoed);
                            CRC32 crc = new CRC32();
                            crc.update(echoed);
                            assertThat(crc.getValue()).as("CRC32 of echoed chunk %d (%d B) of connection %d", i,
                                    expected.length(), seed).isEqualTo(expected.crc());
                        }
                        writer.join(30_000);
                        socket.shutdownOutput();
                        assertThat(in.read()).as("nothing after the last chunk").isEqualTo(-1);
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                }));
            }
            for (Thread thread : threads) {
                thread.join(TimeUnit.SECONDS.toMillis(60));
            }
            assertThat(failures).isEmpty();
            assertRecovered(server, fdBaseline);
        }
    }

    /** Writes {@link #CHUNKS} chunks of 1 B..200 KiB, each cut at random points into separate writes. */
    private static void write(Socket socket, long seed, BlockingQueue<Sent> sent, Queue<Throwable> failures) {
        try {
            Random random = new Random(seed);
            OutputStream out = socket.getOutputStream();
            for (int i = 0; i < CHUNKS; i++) {
                byte[] chunk = new byte[1 + random.nextInt(MAX_CHUNK)];
                random.nextBytes(chunk);
                CRC32 crc = new CRC32();
                crc.update(chunk);
                sent.add(new Sent(chunk.length, crc.getValue()));
                int offset = 0;
                while (offset < chunk.length) {
                    int piece = 1 + random.nextInt(Math.min(chunk.length - offset, random.nextBoolean() ? 16 : 65536));
                    out.write(chunk, offset, piece);
                    offset += piece;
                }
            }
        } catch (Throwable t) {
            failures.add(t);
        }
    }
}
