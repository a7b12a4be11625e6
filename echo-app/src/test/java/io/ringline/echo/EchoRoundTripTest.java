package io.ringline.echo;

import io.ringline.uring.UringIoHandlerConfig;
import io.ringline.uring.UringMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Real servers on 127.0.0.1, real sockets: every byte sent must come back unchanged. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class EchoRoundTripTest {
    private static final InetSocketAddress ANY_LOOPBACK_PORT = new InetSocketAddress("127.0.0.1", 0);
    /** From one byte up to well past any socket buffer, so the server must cope with partial writes. */
    private static final int[] MESSAGE_SIZES = {1, 512, 64 * 1024 + 7, 1024 * 1024};

    @ParameterizedTest
    @EnumSource(names = {"NIO", "EPOLL", "NETTY_IOURING"})
    void nettyPeersEcho(Transport transport) throws Exception {
        assumeAvailable(transport);
        try (RunningServer server = RunningServer.start(transport, new UringIoHandlerConfig(), ANY_LOOPBACK_PORT, 1)) {
            assertEchoes(server.localAddress());
        }
    }

    /** The echo server's three Ringline set-ups: the default, {@code --registered-buffers}, {@code --no-buffer-pool}. */
    @ParameterizedTest
    @ValueSource(strings = {"default", "registered", "no pool"})
    void ringlineEchoes(String setUp) throws Exception {
        // Ringline is the product: on this project's machines io_uring must work, so no assumption here.
        assertThat(Transport.RINGLINE.isAvailable()).as("%s", Transport.RINGLINE.unavailabilityCause()).isTrue();
        UringIoHandlerConfig config = new UringIoHandlerConfig().setRegisteredBuffers(setUp.equals("registered"))
                .setBufferPool(!setUp.equals("no pool"));
        try (RunningServer server = RunningServer.start(Transport.RINGLINE, config, ANY_LOOPBACK_PORT, 1)) {
            assertEchoes(server.localAddress());
            UringMetrics metrics = server.metrics();
            assertThat(metrics.fixedSends() + metrics.plainSends()).as("sends in %s", metrics).isPositive();
            assertThat(metrics.fixedSends() > 0).as("WRITE_FIXED sends in %s", metrics)
                    .isEqualTo(setUp.equals("registered"));
            assertThat(metrics.poolSlots() > 0).as("pool slots in %s", metrics).isEqualTo(!setUp.equals("no pool"));
        }
    }

    @Test
    void multipleLoopsServeConcurrentClients() throws Exception {
        try (RunningServer server = RunningServer.start(Transport.NIO, new UringIoHandlerConfig(), ANY_LOOPBACK_PORT, 2)) {
            List<CompletableFuture<Void>> clients = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                clients.add(CompletableFuture.runAsync(() -> {
                    try {
                        assertEchoes(server.localAddress());
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }, Thread::startVirtualThread));
            }
            CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        }
    }

    /** The whole program as the benchmarks run it: a child JVM, "listening" on stdout, SIGTERM to stop. */
    @Test
    void mainServesUntilSigterm() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(java.toString(), "--enable-native-access=ALL-UNNAMED",
                "-Dio.netty.leakDetection.level=PARANOID", "-cp", System.getProperty("java.class.path"),
                EchoServer.class.getName(), "--transport", "nio", "--port", "0")
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try (BufferedReader stdout = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(stdout.readLine()).isEqualTo("Transport: nio (requested)");
            String listening = stdout.readLine();
            Matcher matcher = Pattern.compile("Echo server \\(nio\\) listening on 127\\.0\\.0\\.1:(\\d+)")
                    .matcher(String.valueOf(listening));
            assertThat(matcher.matches()).as("line %s", listening).isTrue();

            assertEchoes(new InetSocketAddress("127.0.0.1", Integer.parseInt(matcher.group(1))));

            // SIGTERM through the handle: Process.destroy() would also close our end of stdout.
            assertThat(process.toHandle().destroy()).isTrue();
            assertThat(stdout.readLine()).isEqualTo("Echo server (nio) stopped");
            assertThat(process.waitFor(20, TimeUnit.SECONDS)).as("exited after SIGTERM").isTrue();
            assertThat(process.exitValue()).as("128 + SIGTERM").isEqualTo(143);
        } finally {
            process.destroyForcibly();
        }
    }

    /**
     * A peer that sends and then shuts its output down ({@code nc -N}, {@code shutdown(SHUT_WR)}) gets every byte
     * back before the server closes: the end of its input must not cut off echoes still on their way out.
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void peerThatHalfClosesGetsEverythingBack(Transport transport) throws Exception {
        assumeAvailable(transport);
        try (RunningServer server = RunningServer.start(transport, new UringIoHandlerConfig(), ANY_LOOPBACK_PORT, 1)) {
            Random random = new Random(7);
            for (int size : MESSAGE_SIZES) {
                byte[] sent = new byte[size];
                random.nextBytes(sent);
                try (Socket socket = new Socket()) {
                    socket.connect(server.localAddress(), 5_000);
                    socket.setSoTimeout(10_000);
                    OutputStream out = socket.getOutputStream();
                    CompletableFuture<Void> written = CompletableFuture.runAsync(() -> {
                        try {
                            out.write(sent);
                            out.flush();
                            socket.shutdownOutput();
                        } catch (IOException e) {
                            throw new AssertionError(e);
                        }
                    }, Thread::startVirtualThread);
                    byte[] received = socket.getInputStream().readAllBytes();
                    written.get(10, TimeUnit.SECONDS);
                    assertThat(received.length).as("bytes echoed for a %d-byte message before the end", size)
                            .isEqualTo(size);
                    assertThat(Arrays.mismatch(sent, received)).as("first differing byte of %d", size).isEqualTo(-1);
                }
            }
        }
    }

    private static void assertEchoes(InetSocketAddress address) throws Exception {
        Random random = new Random(42);
        try (Socket socket = new Socket()) {
            socket.connect(address, 5_000);
            socket.setSoTimeout(10_000);
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            for (int size : MESSAGE_SIZES) {
                byte[] sent = new byte[size];
                random.nextBytes(sent);
                // Write on another thread: reading must go on while a large message is still being sent.
                CompletableFuture<Void> written = CompletableFuture.runAsync(() -> {
                    try {
                        out.write(sent);
                        out.flush();
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                }, Thread::startVirtualThread);
                byte[] received = in.readNBytes(size);
                written.get(10, TimeUnit.SECONDS);
                assertThat(received).as("bytes echoed for a %d-byte message", size).hasSize(size);
                assertThat(Arrays.mismatch(sent, received)).as("first differing byte of %d", size).isEqualTo(-1);
            }
        }
    }

    private static void assumeAvailable(Transport transport) {
        assumeTrue(transport.isAvailable(),
                () -> transport.cliName() + " is unavailable here: " + transport.unavailabilityCause());
    }
}
