package io.ringline.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One echo-app server JVM: started with one event loop on a free loopback port, ready once it printed
 * "listening", stopped with SIGTERM (SIGKILL if it does not go within {@link #STOP_TIMEOUT}).
 */
final class EchoServerProcess implements AutoCloseable {
    static final String READY_MARKER = "listening";
    /** Asked for in the child's shell; with less, idle10k cannot even open its connections. */
    static final int WANTED_OPEN_FILES = 65_536;
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration POLL = Duration.ofMillis(20);
    private static final int BIND_ATTEMPTS = 3;

    /** How to launch echo-app; the same for every transport. */
    record Launch(Path java, Path jar, List<String> jvmOptions, boolean pin, Duration startupTimeout) {
    }

    /** The server never became ready; {@link #logTail} says why. */
    static final class StartException extends Exception {
        final String logTail;

        StartException(String message, String logTail) {
            super(message);
            this.logTail = logTail;
        }

        /**
         * The most telling line of the server's output: the last one that is not part of a stack
         * trace, i.e. the (root-cause) exception message or the server's own error line.
         */
        String headline() {
            String[] lines = logTail.strip().split("\n");
            for (int i = lines.length - 1; i >= 0; i--) {
                String line = lines[i];
                if (!line.isBlank() && !Character.isWhitespace(line.charAt(0))) {
                    return line;
                }
            }
            return "";
        }
    }

    private final Process process;
    private final InetSocketAddress address;
    private final Path log;

    private EchoServerProcess(Process process, InetSocketAddress address, Path log) {
        this.process = process;
        this.address = address;
        this.log = log;
    }

    static EchoServerProcess start(Launch launch, ServerTransport transport, Path log) throws StartException {
        StartException last = null;
        for (int attempt = 1; attempt <= BIND_ATTEMPTS; attempt++) {
            try {
                return startOnce(launch, transport, log);
            } catch (StartException e) {
                last = e;
                // The free port we picked was taken in between: pick another. Anything else is final.
                if (!e.logTail.contains("Address already in use")) {
                    throw e;
                }
            }
        }
        throw last;
    }

    private static EchoServerProcess startOnce(Launch launch, ServerTransport transport, Path log) throws StartException {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), freePort());
        List<String> command = new ArrayList<>(List.of("bash", "-c",
                // Raise the open-files limit (hard too, when root), else at least soft up to hard.
                "ulimit -n " + WANTED_OPEN_FILES + " 2>/dev/null || ulimit -n \"$(ulimit -Hn)\"; exec \"$@\"",
                "echo-server"));
        if (launch.pin()) {
            command.addAll(List.of("taskset", "-c", Integer.toString(Pinning.SERVER_CPU)));
        }
        command.add(launch.java().toString());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.addAll(launch.jvmOptions());
        command.addAll(List.of("-jar", launch.jar().toString()));
        command.addAll(transport.echoAppArgs);
        command.addAll(List.of("--host", address.getAddress().getHostAddress(),
                "--port", Integer.toString(address.getPort()), "--threads", "1"));

        Process process;
        try {
            Files.createDirectories(log.getParent());
            // Output to a file, not a pipe: a chatty server can never block on a full pipe.
            process = ChildProcesses.track(new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start());
        } catch (IOException e) {
            throw new StartException("cannot start " + String.join(" ", command) + ": " + e.getMessage(), "");
        }
        EchoServerProcess server = new EchoServerProcess(process, address, log);
        server.awaitReady(launch.startupTimeout());
        return server;
    }

    private void awaitReady(Duration timeout) throws StartException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                if (readLog().contains(READY_MARKER)) {
                    return;
                }
                if (!process.isAlive()) {
                    close();
                    throw new StartException("echo-app exited with code " + process.exitValue()
                            + " before printing '" + READY_MARKER + "'", logTail(20));
                }
                if (System.nanoTime() - deadline >= 0) {
                    close();
                    throw new StartException("echo-app printed no '" + READY_MARKER + "' within "
                            + timeout.toSeconds() + " s", logTail(20));
                }
                Thread.sleep(POLL);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new StartException("interrupted while waiting for echo-app", logTail(20));
        }
    }

    long pid() {
        return process.pid();
    }

    InetSocketAddress address() {
        return address;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String exitDescription() {
        return process.isAlive() ? "running" : "exited with code " + process.exitValue();
    }

    /** The last {@code lines} lines of the server's output, for error messages. */
    String logTail(int lines) {
        String[] all = readLog().strip().split("\n");
        int from = Math.max(0, all.length - lines);
        return String.join("\n", java.util.Arrays.copyOfRange(all, from, all.length));
    }

    private String readLog() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read server log " + log, e);
        }
    }

    /** SIGTERM, then SIGKILL if needed; bounded by {@link #STOP_TIMEOUT} plus a few seconds. */
    @Override
    public void close() {
        try {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        } finally {
            if (!process.isAlive()) {
                ChildProcesses.untrack(process);
            }
        }
    }

    private static int freePort() throws StartException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        } catch (IOException e) {
            throw new StartException("cannot find a free loopback port: " + e.getMessage(), "");
        }
    }
}
