package io.ringline.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class EchoBenchTest {

    /** Runs EchoBench in-process; returns exit code, stdout and stderr. */
    private record Run(int exitCode, String out, String err) {
        long number(String label) {
            Matcher m = Pattern.compile("(?m)^" + label + ": (\\d+)$").matcher(out);
            assertThat(m.find()).as("line '%s: N' in%n%s", label, out).isTrue();
            return Long.parseLong(m.group(1));
        }
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        EchoBench bench = new EchoBench(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        int exit = EchoBench.commandLine(bench).execute(args);
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @EnumSource(ClientMode.class)
    void printsRustEchoBenchLinesAndVerifiesEchoes(ClientMode mode) throws IOException {
        try (TestEchoServer server = new TestEchoServer(TestEchoServer.Behaviour.ECHO)) {
            Run run = run("-a", server.hostAndPort(), "-c", "4", "-t", "1", "-l", "300",
                    "--mode", mode.name().toLowerCase(), "--latency");

            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(run.out()).startsWith("Benchmarking: " + server.hostAndPort() + "\n"
                    + "4 clients, running 300 bytes, 1 sec.\n\nSpeed: ");
            assertThat(run.out()).containsPattern("(?m)^Speed: \\d+ request/sec, \\d+ response/sec$")
                    .containsPattern("(?m)^Latency p50: [0-9.]+ us, p99: [0-9.]+ us$");
            assertThat(run.number("Responses")).isPositive();
            // Counted over the window: a request written just before it may be answered inside it.
            assertThat(run.number("Requests")).isGreaterThanOrEqualTo(run.number("Responses") - 4);
            assertThat(run.number("Errors")).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(ClientMode.class)
    void largeMessagesDoNotDeadlockWhileWriting(ClientMode mode) throws IOException {
        try (TestEchoServer server = new TestEchoServer(TestEchoServer.Behaviour.ECHO)) {
            Run run = run("-a", server.hostAndPort(), "-c", "3", "-t", "1", "-l", "262144", "--mode", mode.name());

            assertThat(run.number("Responses")).isPositive();
            assertThat(run.number("Errors")).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(ClientMode.class)
    void countsCorruptedEchoesAsErrors(ClientMode mode) throws IOException {
        try (TestEchoServer server = new TestEchoServer(TestEchoServer.Behaviour.CORRUPT)) {
            Run run = run("-a", server.hostAndPort(), "-c", "2", "-t", "1", "--mode", mode.name());

            assertThat(run.number("Errors")).isPositive();
            assertThat(run.number("Responses")).isZero();
            assertThat(run.err()).contains("echo differs from the request");
        }
    }

    @ParameterizedTest
    @EnumSource(ClientMode.class)
    void endsByItselfWhenTheServerStalls(ClientMode mode) throws IOException {
        try (TestEchoServer server = new TestEchoServer(TestEchoServer.Behaviour.STALL)) {
            long start = System.nanoTime();
            Run run = run("-a", server.hostAndPort(), "-c", "3", "-t", "1", "--grace", "1", "--mode", mode.name());
            double seconds = (System.nanoTime() - start) / 1e9;

            assertThat(run.exitCode()).isZero();
            assertThat(seconds).isLessThan(1 + 1 + 2.5);
            assertThat(run.number("Responses")).isZero();
            assertThat(run.number("Errors")).isEqualTo(3);
        }
    }

    @ParameterizedTest
    @EnumSource(ClientMode.class)
    void reportsARefusedConnectionAndExitsWithOne(ClientMode mode) throws IOException {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = probe.getLocalPort();
        }
        Run run = run("-a", "127.0.0.1:" + closedPort, "-t", "1", "--mode", mode.name());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err().strip()).isEqualTo("cannot connect to 127.0.0.1:" + closedPort + ": Connection refused");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void refusesNonLoopbackTargetsWithoutSendingAnything() {
        // 192.0.2.0/24 is TEST-NET-1; the address is rejected before any socket exists.
        Run run = run("-a", "192.0.2.1:7", "-t", "1");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("refusing to send load to non-loopback address");
    }
}
