package io.ringline.bench;

import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * Echo load generator with rust_echo_bench's flags, semantics and output lines, plus byte-for-byte
 * verification ({@code Errors:}) and optional latency percentiles. Each connection writes
 * {@code length} bytes, waits until that many came back, and repeats.
 */
@Command(name = "EchoBench", sortOptions = false,
        description = "Echo benchmark: N connections ping-pong L-byte messages with an echo server on loopback.")
public final class EchoBench implements Callable<Integer> {
    static final int EXIT_CANNOT_CONNECT = 1;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = {"-a", "--address"}, paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:12345",
            description = "Target echo server, host:port on loopback (default: ${DEFAULT-VALUE}).")
    String address;

    @Option(names = {"-c", "--number"}, paramLabel = "N", defaultValue = "50", description = "Connections (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = {"-t", "--duration"}, paramLabel = "S", defaultValue = "60", description = "Seconds to measure (default: ${DEFAULT-VALUE}).")
    int durationSeconds;

    // "--lenght" is rust_echo_bench's own spelling; accepted so its command lines work unchanged.
    @Option(names = {"-l", "--length", "--lenght"}, paramLabel = "L", defaultValue = "512",
            description = "Message length in bytes (default: ${DEFAULT-VALUE}).")
    int length;

    @Option(names = "--mode", paramLabel = "events|ring|threads", defaultValue = "events",
            description = "events: one thread drives every connection through a Java NIO selector (default); "
                    + "ring: one thread drives every connection through an io_uring ring, submissions batched; "
                    + "threads: one blocking thread per connection.")
    ClientMode mode;

    @Option(names = "--latency", description = "Also print round-trip p50/p99 (HdrHistogram).")
    boolean latency;

    @Option(names = "--warmup", paramLabel = "S", defaultValue = "0",
            description = "Seconds of load before the measured window, not counted (default: ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--grace", paramLabel = "S", defaultValue = "2",
            description = "Seconds to wait for in-flight echoes after the window; missing ones count as errors (default: ${DEFAULT-VALUE}).")
    int graceSeconds;

    @Option(names = "--connect-timeout", paramLabel = "S", defaultValue = "30",
            description = "Seconds allowed for opening all connections (default: ${DEFAULT-VALUE}).")
    int connectTimeoutSeconds;

    private final PrintStream out;
    private final PrintStream err;

    public EchoBench() {
        this(System.out, System.err);
    }

    EchoBench(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(commandLine(new EchoBench()).execute(args));
    }

    static CommandLine commandLine(EchoBench bench) {
        return new CommandLine(bench)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setOut(new java.io.PrintWriter(bench.out, true))
                .setErr(new java.io.PrintWriter(bench.err, true));
    }

    @Override
    public Integer call() throws InterruptedException {
        if (durationSeconds < 1 || warmupSeconds < 0 || graceSeconds < 0) {
            err.println("duration must be at least 1 second; warmup and grace cannot be negative");
            return CommandLine.ExitCode.USAGE;
        }
        LoadSpec spec;
        try {
            InetSocketAddress target = Loopback.parse(address);
            spec = LoadSpec.continuous(target, connections, length);
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            return CommandLine.ExitCode.USAGE;
        }

        LoadClient client;
        try {
            client = LoadClient.connect(mode, spec, Duration.ofSeconds(connectTimeoutSeconds));
        } catch (IOException e) {
            err.println("cannot connect to " + address + ": " + e.getMessage());
            return EXIT_CANNOT_CONNECT;
        }
        try (client) {
            out.println("Benchmarking: " + address);
            out.println(connections + " clients, running " + length + " bytes, " + durationSeconds + " sec.");
            out.println();

            client.start();
            Thread.sleep(Duration.ofSeconds(warmupSeconds));
            LoadCounters before = client.counters();
            client.takeLatency();
            long windowStart = System.nanoTime();
            Thread.sleep(Duration.ofSeconds(durationSeconds));
            LoadCounters window = client.counters().minus(before);
            double seconds = (System.nanoTime() - windowStart) / 1e9;
            Histogram roundTrips = client.takeLatency();
            LoadCounters total = client.stop(Duration.ofSeconds(graceSeconds));

            out.println("Speed: " + Math.round(window.requests() / seconds) + " request/sec, "
                    + Math.round(window.responses() / seconds) + " response/sec");
            out.println("Requests: " + window.requests());
            out.println("Responses: " + window.responses());
            out.println("Errors: " + total.errors());
            if (latency) {
                out.println(latencyLine(roundTrips));
            }
            if (client.firstError() != null) {
                err.println("first error: " + client.firstError());
            }
        }
        return CommandLine.ExitCode.OK;
    }

    static String latencyLine(Histogram roundTripNanos) {
        if (roundTripNanos.getTotalCount() == 0) {
            return "Latency p50: n/a us, p99: n/a us";
        }
        return String.format(java.util.Locale.ROOT, "Latency p50: %.1f us, p99: %.1f us",
                roundTripNanos.getValueAtPercentile(50) / 1000.0,
                roundTripNanos.getValueAtPercentile(99) / 1000.0);
    }
}
