package io.ringline.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * Runs the benchmark matrix: every scenario against every echo-app transport, several rounds, then
 * writes a Markdown report (with charts) to the output directory. Each measurement starts its own
 * echo-app JVM with one event loop; the load client runs in this JVM (ring mode by default) unless
 * {@code --client-cmd} names an external one.
 */
@Command(name = "bench", sortOptions = false,
        description = "Runs the echo benchmark matrix (scenarios × transports × rounds) and writes a Markdown report.",
        footer = {"",
                "Scenarios:  original (50 × 512 B), latency (1 × 512 B), c500 (500 × 512 B),",
                "            bandwidth (50 × 64 KiB), idle10k (10,000 idle connections: server memory)",
                "Transports: ringline, ringline-nopool, netty-iouring, epoll, nio; also ringline-fixed (not by default)",
                "Example:    ./bench --rounds 5 --duration 10 --pin"})
public final class BenchRunner implements Callable<Integer> {
    /** Rough fixed cost of one measurement beyond warm-up and window: JVM start-up, teardown. */
    private static final double OVERHEAD_SECONDS = 2.5;
    /** Rough duration of one idle10k measurement: jcmd twice, connecting, settling. */
    private static final double IDLE_SECONDS = 8;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--rounds", defaultValue = "5", paramLabel = "N", description = "Rounds per scenario (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--duration", defaultValue = "10", paramLabel = "SECONDS",
            description = "Measured window per run, seconds, decimals allowed (default: ${DEFAULT-VALUE}).")
    double durationSeconds;

    // 30 s: on the 2-core machine the reports were made on, Netty's io_uring transport still spent 5-6% of its window
    // CPU compiling after 8 s of load (its completion handler deoptimised and recompiled ~10 s in), which counted
    // against it; after 30 s every server's JIT share is under 0.5% but for Netty io_uring's at 64 KiB (up to 6.5%)
    // (the report's "server JIT %" column shows it per run).
    @Option(names = "--warmup", defaultValue = "30", paramLabel = "SECONDS",
            description = "Load before each measured window, not counted; long enough for the servers' JIT to settle "
                    + "(default: ${DEFAULT-VALUE}; the report's server JIT % shows whether it did).")
    double warmupSeconds;

    @Option(names = "--grace", defaultValue = "2", paramLabel = "SECONDS",
            description = "Wait for in-flight echoes after the window; missing ones are errors (default: ${DEFAULT-VALUE}).")
    double graceSeconds;

    @Option(names = "--scenarios", split = ",", converter = Scenario.Converter.class, paramLabel = "NAME",
            description = "Comma-separated subset (default: all).")
    List<Scenario> scenarios = List.of(Scenario.values());

    @Option(names = "--transports", split = ",", converter = ServerTransport.Converter.class, paramLabel = "NAME",
            description = "Comma-separated, in the order round 1 runs them; each later round starts one later "
                    + "(default: all but ringline-fixed).")
    List<ServerTransport> transports = ServerTransport.defaultMatrix();

    @Option(names = "--jar", paramLabel = "PATH", defaultValue = "echo-app/target/echo-app.jar",
            description = "The echo-app fat jar (default: ${DEFAULT-VALUE}).")
    Path jar;

    @Option(names = "--java", paramLabel = "PATH", description = "java binary for the servers (default: the one running this runner).")
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");

    @Option(names = "--server-jvm-opts", paramLabel = "OPTS", defaultValue = "",
            description = "Extra JVM options for every server, space-separated, e.g. \"-Xmx512m\" (default: none).")
    String serverJvmOptions;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "benchmarks/results",
            description = "Where reports, charts and latest.md (a copy of the last full run's report) go; server logs go "
                    + "to OUT/tmp/ (default: ${DEFAULT-VALUE}).")
    Path outputDirectory;

    @Option(names = "--pin", description = "taskset: server on CPU 0, load client on CPU 1.")
    boolean pin;

    @Option(names = "--client-mode", paramLabel = "ring|events|threads", defaultValue = "ring",
            description = "In-process load client: ring (one thread, an io_uring ring from Ringline's ring core, "
                    + "submissions batched; default, the cheapest per request), events (one thread, a Java NIO "
                    + "selector) or threads (a blocking thread per connection).")
    ClientMode clientMode;

    @Option(names = "--client-cmd", paramLabel = "TEMPLATE",
            description = "External load client instead of the in-process one, with {address} {conns} {duration} "
                    + "{length}; its rust_echo_bench-style output is parsed. idle10k always uses the in-process client.")
    String clientCommand;

    @Option(names = "--idle-connections", defaultValue = "10000", paramLabel = "N",
            description = "Connections in the idle10k scenario (default: ${DEFAULT-VALUE}).")
    int idleConnections;

    @Option(names = "--connect-timeout", defaultValue = "60", paramLabel = "SECONDS",
            description = "Allowed for opening all connections of a run (default: ${DEFAULT-VALUE}).")
    double connectTimeoutSeconds;

    @Option(names = "--startup-timeout", defaultValue = "30", paramLabel = "SECONDS",
            description = "Allowed for a server to print 'listening' (default: ${DEFAULT-VALUE}).")
    double startupTimeoutSeconds;

    @Spec
    CommandSpec spec;

    private final PrintStream out;
    private final PrintStream err;

    /**
     * What the last {@link #call} produced; for tests. {@code latest} is the latest.md the run rewrote, empty when it
     * was not a full run and left latest.md alone.
     */
    record Outcome(Results results, Path report, Optional<Path> latest, Map<Scenario, Path> charts) {
    }

    private Outcome outcome;

    public BenchRunner() {
        this(System.out, System.err);
    }

    BenchRunner(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(commandLine(new BenchRunner()).execute(args));
    }

    static CommandLine commandLine(BenchRunner runner) {
        return new CommandLine(runner)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setOut(new java.io.PrintWriter(runner.out, true))
                .setErr(new java.io.PrintWriter(runner.err, true));
    }

    Outcome outcome() {
        return outcome;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        validate();
        ZonedDateTime started = ZonedDateTime.now(ZoneOffset.UTC);
        String stamp = started.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path logDirectory = outputDirectory.resolve("tmp").resolve(stamp);
        Files.createDirectories(logDirectory);

        // Facts first: after pinning, this JVM would see only the client's CPU.
        Map<String, String> facts = MachineFacts.collect(java);
        if (pin) {
            Pinning.pinThisJvmToClientCpu();
            facts.put("Load client CPU affinity", MachineFacts.cpuAffinityOfThisJvm());
        }
        Measurer.Timing timing = new Measurer.Timing(seconds(warmupSeconds), seconds(durationSeconds),
                seconds(graceSeconds), seconds(connectTimeoutSeconds));
        List<String> jvmOptions = serverJvmOptions.isBlank() ? List.of() : Arrays.asList(serverJvmOptions.strip().split("\\s+"));
        EchoServerProcess.Launch launch = new EchoServerProcess.Launch(java, jar, jvmOptions, pin, seconds(startupTimeoutSeconds));
        ExternalClient external = clientCommand == null ? null : new ExternalClient(clientCommand, pin);
        Measurer measurer = new Measurer(launch, timing, clientMode, external, logDirectory, idleConnections);

        printPlan(logDirectory);
        Results results = runMatrix(measurer);

        ReportWriter.Settings settings = new ReportWriter.Settings(commandLineText(),
                started.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")), scenarios, transports, rounds,
                timing, pin, clientDescription(), serverDescription(jvmOptions), idleConnections);
        outcome = writeReport(stamp, settings, facts, results);
        printSummary(results);
        return CommandLine.ExitCode.OK;
    }

    private void validate() {
        // "nio,nio" would measure twice per round and skew the medians.
        scenarios = scenarios.stream().distinct().toList();
        transports = transports.stream().distinct().toList();
        List<String> problems = new ArrayList<>();
        if (rounds < 1) {
            problems.add("--rounds must be at least 1");
        }
        if (durationSeconds < 0.001 || warmupSeconds < 0 || graceSeconds < 0) {
            problems.add("--duration must be at least 0.001 s; --warmup and --grace cannot be negative");
        }
        if (connectTimeoutSeconds < 0.001 || startupTimeoutSeconds < 0.001) {
            problems.add("--connect-timeout and --startup-timeout must be at least 0.001 s");
        }
        if (idleConnections < 1) {
            problems.add("--idle-connections must be at least 1");
        }
        if (!Files.isRegularFile(jar)) {
            problems.add("no echo-app jar at " + jar.toAbsolutePath() + " (build it: mvn -q -DskipTests package)");
        }
        if (!Files.isExecutable(java)) {
            problems.add("no java binary at " + java);
        }
        if (scenarios.isEmpty() || transports.isEmpty()) {
            problems.add("--scenarios and --transports cannot be empty");
        }
        if (!problems.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), String.join("; ", problems));
        }
    }

    /**
     * Scenario by scenario; within each round every transport once. Each round starts one transport later
     * (A B C, B C A, C A B, …), so no transport always takes the same place: the first measurement of a run was
     * often the slowest, whichever transport it was, and with a fixed order one transport took it every time.
     */
    private Results runMatrix(Measurer measurer) throws InterruptedException {
        Results results = new Results();
        for (Scenario scenario : scenarios) {
            out.printf("== %s: %s%n", scenario.cliName, scenario.kind == Scenario.Kind.IDLE
                    ? String.format(Locale.ROOT, "%,d idle connections, server memory", measurer.connectionsFor(scenario))
                    : scenario.description);
            for (int round = 1; round <= rounds; round++) {
                for (ServerTransport transport : roundOrder(transports, round)) {
                    if (results.isUnavailable(transport)) {
                        continue;
                    }
                    String prefix = String.format(Locale.ROOT, "  round %d/%d  %-14s ", round, rounds, transport.cliName);
                    out.print(prefix);
                    out.flush();
                    try {
                        Measurement measurement = measurer.measure(scenario, transport, round);
                        results.add(measurement);
                        out.println(progressLine(measurement));
                    } catch (EchoServerProcess.StartException e) {
                        String reason = e.getMessage() + (e.logTail.isBlank() ? "" : ":\n" + e.logTail);
                        results.markUnavailable(transport, reason);
                        out.println("unavailable, skipped from now on: " + e.getMessage()
                                + (e.headline().isEmpty() ? "" : " — " + e.headline()));
                    }
                }
            }
        }
        return results;
    }

    /** The transports of round {@code round} (1-based): the given order, rotated left by round - 1. */
    static <T> List<T> roundOrder(List<T> transports, int round) {
        List<T> order = new ArrayList<>(transports);
        Collections.rotate(order, -(round - 1));
        return order;
    }

    static String progressLine(Measurement m) {
        if (!m.ok()) {
            // The first line says what went wrong (and how the server ended); what may follow, such as the server's last
            // output, whose last line is often its "listening" line, is in the report.
            String[] lines = m.failure().strip().split("\n");
            return "FAILED: " + lines[0].strip().replaceFirst(", last output:$", "")
                    + (lines.length > 1 ? " (details in the report)" : "");
        }
        if (m.idle() != null) {
            Measurement.Idle idle = m.idle();
            return String.format(Locale.ROOT, "%,d -> %,d connections: RSS %.1f -> %.1f MiB (%.2f KiB/conn)   live heap %.1f -> %.1f MiB   setup %.1f s   errors %d",
                    idle.baselineConnections(), idle.connections(),
                    idle.rssBeforeBytes() / 1048576.0, idle.rssAfterBytes() / 1048576.0, idle.rssPerConnectionBytes() / 1024,
                    idle.liveHeapBeforeBytes() / 1048576.0, idle.liveHeapAfterBytes() / 1048576.0, idle.setupSeconds(), idle.errors());
        }
        Measurement.Load load = m.load();
        String client = Double.isNaN(load.clientCpuMicrosPerRequest()) ? ""
                : String.format(Locale.ROOT, "   client %.0f%% busy", load.clientCorePercent());
        return String.format(Locale.ROOT, "%,10.0f req/s   %6.2f us CPU/req (JIT %.1f%%)   p50 %s us  p99 %s us   peak RSS %.0f MiB   errors %d%s",
                load.requestsPerSecond(), load.serverCpuMicrosPerRequest(), load.serverJitPercent(),
                ReportWriter.number(load.p50Micros()),
                ReportWriter.number(load.p99Micros()), load.peakRssBytes() / 1048576.0, load.errors(), client);
    }

    private void printPlan(Path logDirectory) {
        long loadScenarios = scenarios.stream().filter(s -> s.kind == Scenario.Kind.LOAD).count();
        long idleScenarios = scenarios.size() - loadScenarios;
        double perLoad = warmupSeconds + durationSeconds + OVERHEAD_SECONDS;
        double total = rounds * transports.size() * (loadScenarios * perLoad + idleScenarios * IDLE_SECONDS);
        out.printf(Locale.ROOT, "Ringline echo benchmark: %d scenarios × %d transports × %d rounds = %d measurements, about %.0f min%n",
                scenarios.size(), transports.size(), rounds, scenarios.size() * transports.size() * rounds, Math.ceil(total / 60));
        out.printf("Fresh echo-app JVM per measurement (--threads 1); %s; server logs in %s%n",
                pin ? "server pinned to CPU 0, load client to CPU 1" : "no pinning", logDirectory);
    }

    private Outcome writeReport(String stamp, ReportWriter.Settings settings, Map<String, String> facts, Results results)
            throws IOException {
        Map<Scenario, Path> charts = new EnumMap<>(Scenario.class);
        Map<Scenario, String> chartNames = new EnumMap<>(Scenario.class);
        for (Scenario scenario : scenarios) {
            if (results.all().stream().noneMatch(m -> m.scenario() == scenario && m.ok())) {
                continue;
            }
            String name = stamp + "-" + scenario.cliName + ".png";
            Path png = outputDirectory.resolve(name);
            try {
                ChartWriter.write(png, results, scenario, transports, ReportWriter.chartMetrics(scenario));
                charts.put(scenario, png);
                chartNames.put(scenario, name);
            } catch (IOException | RuntimeException | Error e) {
                // A chart is a convenience: without fonts or AWT the tables still carry every number.
                err.println("chart for " + scenario.cliName + " not drawn: " + e);
            }
        }
        String markdown = ReportWriter.render(settings, facts, results, chartNames);
        Path report = outputDirectory.resolve(stamp + "-report.md");
        Files.writeString(report, markdown, StandardCharsets.UTF_8);
        Optional<Path> latest = Optional.empty();
        if (isFullRun(scenarios, transports)) {
            latest = Optional.of(Files.copy(report, outputDirectory.resolve("latest.md"), StandardCopyOption.REPLACE_EXISTING));
        }
        return new Outcome(results, report, latest, charts);
    }

    /**
     * Whether a run measured every scenario and every transport of the default matrix (more transports are fine):
     * only such a run replaces latest.md, so that a run of one scenario or two transports cannot overwrite the
     * full run that the READMEs quote.
     */
    static boolean isFullRun(List<Scenario> scenarios, List<ServerTransport> transports) {
        return scenarios.containsAll(List.of(Scenario.values())) && transports.containsAll(ServerTransport.defaultMatrix());
    }

    private void printSummary(Results results) {
        out.println();
        for (Scenario scenario : scenarios) {
            Metric headline = scenario == Scenario.IDLE10K ? Metric.RSS_PER_CONNECTION_KIB
                    : scenario == Scenario.LATENCY ? Metric.P99_MICROS : Metric.CPU_MICROS_PER_REQUEST;
            String line = transports.stream()
                    .filter(t -> !results.spread(scenario, t, headline).isEmpty())
                    .map(t -> t.cliName + " " + ReportWriter.number(results.spread(scenario, t, headline).median()))
                    .collect(Collectors.joining(", "));
            out.printf("%-10s median %s: %s%n", scenario.cliName, headline.label.replace("µ", "u"), line.isEmpty() ? "no data" : line);
            String ratios = transports.stream()
                    .filter(t -> t != ServerTransport.RINGLINE)
                    .map(t -> Map.entry(t, results.ringlineRatio(scenario, t, headline)))
                    .filter(ratio -> !ratio.getValue().isEmpty())
                    .map(ratio -> ratio.getKey().cliName + " " + ReportWriter.ratio(ratio.getValue()))
                    .collect(Collectors.joining(", "));
            if (!ratios.isEmpty()) {
                out.printf("%-10s ringline ÷ peer, paired by round (median, min–max): %s%n", "", ratios);
            }
        }
        long errors = results.totalErrors();
        if (errors > 0) {
            out.println("WARNING: " + errors + " errors (failed echoes or connections): see the report");
        }
        if (!results.failures().isEmpty()) {
            out.println("WARNING: " + results.failures().size() + " measurements failed: see the report");
        }
        out.println("Report: " + outcome.report());
        out.println(outcome.latest().map(latest -> "Latest: " + latest)
                .orElse("latest.md left as it was: only a run of every scenario and transport replaces it"));
    }

    private String commandLineText() {
        String launcher = System.getProperty("ringline.bench.launcher", "java -jar benchmarks/target/benchmarks.jar");
        List<String> args = spec.commandLine().getParseResult().originalArgs();
        return launcher + (args.isEmpty() ? "" : " " + args.stream().map(BenchRunner::shellQuote).collect(Collectors.joining(" ")));
    }

    private static String shellQuote(String arg) {
        return arg.matches("[A-Za-z0-9_./:=,@%+-]+") ? arg : "'" + arg.replace("'", "'\\''") + "'";
    }

    private String clientDescription() {
        String inProcess = switch (clientMode) {
            case EVENTS -> "in-process, events mode (one thread drives every connection through a Java NIO selector)";
            case RING -> "in-process, ring mode (one thread drives every connection through an io_uring ring: "
                    + "fixed files, multishot receives into provided buffers, one io_uring_enter per pass)";
            case THREADS -> "in-process, threads mode (one blocking thread per connection)";
        };
        return clientCommand == null ? inProcess
                : "external: `" + clientCommand.replace("|", "/") + "` (idle10k: " + inProcess + ")";
    }

    private String serverDescription(List<String> jvmOptions) {
        return "`java --enable-native-access=ALL-UNNAMED " + (jvmOptions.isEmpty() ? "" : String.join(" ", jvmOptions) + " ")
                + "-jar " + jar + " --transport … --threads 1`";
    }

    private static Duration seconds(double seconds) {
        return Duration.ofMillis(Math.round(seconds * 1000));
    }
}
