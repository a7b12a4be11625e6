package io.ringline.echo;

import io.ringline.uring.UringIoHandlerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class EchoServerCommandLineTest {

    private record Result(int exitCode, String out, String err) { }

    private static Result execute(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = EchoServer.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int exitCode = commandLine.execute(args);
        return new Result(exitCode, out.toString(), err.toString());
    }

    private static EchoServer parse(String... args) {
        CommandLine commandLine = EchoServer.commandLine();
        commandLine.parseArgs(args);
        return commandLine.getCommand();
    }

    @Test
    void defaults() {
        EchoServer server = parse();
        assertThat(server.transport).as("auto").isEmpty();
        assertThat(server.host).isEqualTo("127.0.0.1");
        assertThat(server.port).isEqualTo(12345);
        assertThat(server.threads).isEqualTo(1);
        assertThat(server.registeredBuffers).isFalse();
        assertThat(server.noBufferPool).isFalse();
        assertThat(server.metrics).isFalse();
        UringIoHandlerConfig config = server.ringlineConfig();
        assertThat(config.isRegisteredBuffers()).isFalse();
        assertThat(config.isBufferPool()).isTrue();
    }

    @Test
    void everyFlag() {
        EchoServer server = parse("--transport", "ringline", "--host", "0.0.0.0", "--port", "9000",
                "--threads", "2", "--registered-buffers", "--no-buffer-pool", "--metrics");
        assertThat(server.transport).contains(Transport.RINGLINE);
        assertThat(server.host).isEqualTo("0.0.0.0");
        assertThat(server.port).isEqualTo(9000);
        assertThat(server.threads).isEqualTo(2);
        assertThat(server.registeredBuffers).isTrue();
        assertThat(server.noBufferPool).isTrue();
        assertThat(server.metrics).isTrue();
        UringIoHandlerConfig config = server.ringlineConfig();
        assertThat(config.isRegisteredBuffers()).isTrue();
        assertThat(config.isBufferPool()).isFalse();
    }

    @ParameterizedTest
    @CsvSource({"ringline, RINGLINE", "epoll, EPOLL", "netty-iouring, NETTY_IOURING", "nio, NIO", "NIO, NIO"})
    void transportNames(String name, Transport expected) {
        assertThat(parse("--transport=" + name).transport).contains(expected);
    }

    @Test
    void autoMeansNoPreference() {
        assertThat(parse("--transport", "auto").transport).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"--bogus", "--transport=foo", "--transport", "--port=http", "--port=70000",
            "--threads=0", "extra-argument"})
    void badFlagsPrintUsageAndExitWithTwo(String arg) {
        Result result = execute(arg);
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("Usage: echo-server");
        assertThat(result.out()).isEmpty();
    }

    /** Registered buffers are the pool's: with no pool there is nothing to register, and no WRITE_FIXED send. */
    @ParameterizedTest
    @ValueSource(strings = {"ringline", "nio"})
    void registeredBuffersWithoutAPoolIsABadFlag(String transport) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            // Were the flags accepted, the bind would fail (exit 1) rather than the server serving forever.
            Result result = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> execute("--transport", transport,
                    "--port", String.valueOf(taken.getLocalPort()), "--registered-buffers", "--no-buffer-pool"));
            assertThat(result.exitCode()).isEqualTo(2);
            assertThat(result.err()).contains("--registered-buffers", "--no-buffer-pool", "Usage: echo-server");
            assertThat(result.out()).isEmpty();
        }
    }

    @Test
    void runReturnsTheExitCodeInsteadOfExiting() {
        PrintStream stderr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertThat(EchoServer.run("--no-such-flag")).isEqualTo(2);
        } finally {
            System.setErr(stderr);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8)).contains("Unknown option: '--no-such-flag'");
    }

    @Test
    void help() {
        Result result = execute("--help");
        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).contains("Usage: echo-server", "--transport", "--host", "--port", "--threads",
                "--registered-buffers", "--no-buffer-pool", "--metrics");
        assertThat(result.err()).isEmpty();
    }

    @Test
    void portInUseExitsWithOne() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String port = String.valueOf(taken.getLocalPort());
            // Should the bind wrongly succeed, the server would serve forever: hence the timeout.
            Result result = assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> execute("--transport", "nio", "--host", "127.0.0.1", "--port", port));
            assertThat(result.exitCode()).isEqualTo(1);
            assertThat(result.out()).contains("Transport: nio (requested)").doesNotContain("listening");
            assertThat(result.err()).contains("Cannot listen on 127.0.0.1:" + port);
        }
    }
}
