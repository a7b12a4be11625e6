package io.ringline.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A load client run as its own process from a command template, e.g.
 * {@code rust_echo_bench --address {address} --number {conns} --duration {duration} --length {length}};
 * its rust_echo_bench-style output is parsed.
 */
final class ExternalClient {
    /** Beyond duration plus grace: process start-up and connecting. */
    private static final Duration START_SLACK = Duration.ofSeconds(15);

    /**
     * What the client printed. {@code errors} is EchoBench's {@code Errors:} line or, from rust_echo_bench, which has
     * none, its {@code Read error!}/{@code Write error!} lines: each is a connection it gave up (it drops a connection
     * on other read errors without a word, so its count is a lower bound). Latency only appears with EchoBench.
     */
    record Output(long requests, long responses, long errors, OptionalDouble p50Micros, OptionalDouble p99Micros) {
    }

    /** The lines rust_echo_bench prints as it abandons a connection (a failed write, a short or failed read). */
    private static final Pattern ABANDONED_CONNECTION = Pattern.compile("(?m)^(Read error!|Write error!)");

    private final String template;
    private final boolean pin;

    ExternalClient(String template, boolean pin) {
        this.template = template;
        this.pin = pin;
    }

    String expand(InetSocketAddress address, int connections, long durationSeconds, int length) {
        return template.replace("{address}", Loopback.format(address))
                .replace("{conns}", Integer.toString(connections))
                .replace("{duration}", Long.toString(durationSeconds))
                .replace("{length}", Integer.toString(length));
    }

    /** Runs the client to completion (bounded), writing its output to {@code log}. */
    Output run(InetSocketAddress address, int connections, long durationSeconds, int length, Duration grace, Path log) {
        String commandLine = expand(address, connections, durationSeconds, length);
        List<String> command = new ArrayList<>();
        if (pin) {
            command.addAll(Pinning.clientPrefix());
        }
        command.addAll(List.of("bash", "-c", commandLine));
        Duration limit = Duration.ofSeconds(durationSeconds).plus(grace).plus(START_SLACK);
        try {
            Files.createDirectories(log.getParent());
            Process process = ChildProcesses.track(new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start());
            try {
                if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                    throw new IllegalStateException("client command did not finish within " + limit.toSeconds() + " s: " + commandLine);
                }
            } finally {
                if (!process.isAlive()) {
                    ChildProcesses.untrack(process);
                }
            }
            String text = Files.readString(log, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new IllegalStateException("client command exited with " + process.exitValue() + ": " + text.strip());
            }
            return parse(text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run client command: " + commandLine, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running the client command", e);
        }
    }

    static Output parse(String text) {
        long requests = number(text, "Requests").orElseThrow(() -> new IllegalStateException(
                "client printed no 'Requests: N' line:\n" + text.strip()));
        long responses = number(text, "Responses").orElseThrow(() -> new IllegalStateException(
                "client printed no 'Responses: N' line:\n" + text.strip()));
        Matcher latency = Pattern.compile("(?m)^Latency p50: ([0-9.]+) us, p99: ([0-9.]+) us$").matcher(text);
        boolean hasLatency = latency.find();
        long errors = number(text, "Errors").orElseGet(() -> ABANDONED_CONNECTION.matcher(text).results().count());
        return new Output(requests, responses, errors,
                hasLatency ? OptionalDouble.of(Double.parseDouble(latency.group(1))) : OptionalDouble.empty(),
                hasLatency ? OptionalDouble.of(Double.parseDouble(latency.group(2))) : OptionalDouble.empty());
    }

    private static OptionalLong number(String text, String label) {
        Matcher m = Pattern.compile("(?m)^" + label + ": (\\d+)\\s*$").matcher(text);
        return m.find() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
    }
}
