package io.ringline.bench;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Runs one measurement: a fresh echo-app JVM per measurement (so one scenario's heap growth,
 * JIT state or crash never leaks into the next), warm-up, measured window, teardown.
 */
final class Measurer {
    /** Headroom over the connection count: the JVM itself holds a few dozen descriptors. */
    private static final int SPARE_FILES = 200;
    /** Let the server finish whatever it does lazily after the last echo before weighing it. */
    private static final Duration IDLE_SETTLE = Duration.ofSeconds(1);

    /** Durations shared by every measurement. */
    record Timing(Duration warmup, Duration duration, Duration grace, Duration connectTimeout) {
    }

    private final EchoServerProcess.Launch launch;
    private final Timing timing;
    private final ClientMode clientMode;
    private final ExternalClient externalClient;
    private final Path logDirectory;
    private final Path jcmd;
    private final int idleConnections;

    Measurer(EchoServerProcess.Launch launch, Timing timing, ClientMode clientMode, ExternalClient externalClient,
             Path logDirectory, int idleConnections) {
        this.launch = launch;
        this.timing = timing;
        this.clientMode = clientMode;
        this.externalClient = externalClient;
        this.logDirectory = logDirectory;
        this.jcmd = launch.java().resolveSibling("jcmd");
        this.idleConnections = idleConnections;
    }

    int connectionsFor(Scenario scenario) {
        return scenario.kind == Scenario.Kind.IDLE ? idleConnections : scenario.connections;
    }

    /** Throws only when the server cannot start at all; every other problem becomes a failed measurement. */
    Measurement measure(Scenario scenario, ServerTransport transport, int round)
            throws EchoServerProcess.StartException, InterruptedException {
        Path log = logDirectory.resolve(scenario.cliName + "-r" + round + "-" + transport.cliName + ".log");
        try (EchoServerProcess server = EchoServerProcess.start(launch, transport, log)) {
            try {
                if (scenario.kind == Scenario.Kind.IDLE) {
                    return measureIdle(scenario, transport, round, server);
                }
                return externalClient != null
                        ? measureLoadExternally(scenario, transport, round, server, log)
                        : measureLoad(scenario, transport, round, server);
            } catch (IOException | RuntimeException e) {
                String why = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
                return Measurement.failed(scenario, transport, round, why + serverState(server));
            }
        }
    }

    private Measurement measureLoad(Scenario scenario, ServerTransport transport, int round, EchoServerProcess server)
            throws IOException, InterruptedException {
        LoadSpec spec = LoadSpec.continuous(server.address(), scenario.connections, scenario.length);
        try (LoadClient client = LoadClient.connect(clientMode, spec, timing.connectTimeout())) {
            client.start();
            Thread.sleep(timing.warmup());

            LoadCounters before = client.counters();
            ServerCpu serverBefore = ServerCpu.read(server.pid());
            long clientCpuBefore = ProcStats.cpuTicks(ProcessHandle.current().pid());
            long start = System.nanoTime();
            client.takeLatency();

            Thread.sleep(timing.duration());

            LoadCounters after = client.counters();
            ServerCpu serverAfter = ServerCpu.read(server.pid());
            long clientCpuAfter = ProcStats.cpuTicks(ProcessHandle.current().pid());
            double seconds = (System.nanoTime() - start) / 1e9;
            Histogram roundTrips = client.takeLatency();

            LoadCounters total = client.stop(timing.grace());
            long peakRss = ProcStats.statusBytes(server.pid(), "VmHWM");
            if (!server.isAlive()) {
                return Measurement.failed(scenario, transport, round, "server died during the run" + serverState(server));
            }
            long completed = after.minus(before).responses();
            if (completed == 0) {
                return Measurement.failed(scenario, transport, round, "no echo completed in the measured window"
                        + (client.firstError() != null ? " (first error: " + client.firstError() + ")" : ""));
            }
            double clientCpuMicros = ProcStats.ticksToMicros(clientCpuAfter - clientCpuBefore);
            return new Measurement(scenario, transport, round, null, new Measurement.Load(seconds, completed,
                    completed / seconds, serverAfter.microsSince(serverBefore) / completed, peakRss, total.errors(),
                    roundTrips.getValueAtPercentile(50) / 1000.0, roundTrips.getValueAtPercentile(99) / 1000.0,
                    clientCpuMicros / completed, serverAfter.jitPercentSince(serverBefore)), null);
        }
    }

    /**
     * The external client's own process start-up and connecting fall inside the CPU window, so its
     * CPU per request reads slightly high; the window is the client's nominal duration.
     */
    private Measurement measureLoadExternally(Scenario scenario, ServerTransport transport, int round,
                                              EchoServerProcess server, Path serverLog) {
        Path clientLog = serverLog.resolveSibling(serverLog.getFileName().toString().replace(".log", "-client.log"));
        long warmupSeconds = (long) Math.ceil(timing.warmup().toMillis() / 1000.0);
        // Counted as the in-process client counts them: warm-up and window (its log is overwritten by the window's run).
        long warmupErrors = warmupSeconds > 0 ? externalClient.run(server.address(), scenario.connections,
                warmupSeconds, scenario.length, timing.grace(), clientLog).errors() : 0;
        long durationSeconds = Math.max(1, (long) Math.ceil(timing.duration().toMillis() / 1000.0));
        ServerCpu serverBefore = ServerCpu.read(server.pid());
        ExternalClient.Output output = externalClient.run(server.address(), scenario.connections, durationSeconds,
                scenario.length, timing.grace(), clientLog);
        ServerCpu serverAfter = ServerCpu.read(server.pid());
        long peakRss = ProcStats.statusBytes(server.pid(), "VmHWM");
        if (output.responses() == 0) {
            return Measurement.failed(scenario, transport, round, "the client command completed no echo; see " + clientLog);
        }
        return new Measurement(scenario, transport, round, null, new Measurement.Load(durationSeconds,
                output.responses(), output.responses() / (double) durationSeconds,
                serverAfter.microsSince(serverBefore) / output.responses(),
                peakRss, warmupErrors + output.errors(),
                output.p50Micros().orElse(Double.NaN), output.p99Micros().orElse(Double.NaN), Double.NaN,
                serverAfter.jitPercentSince(serverBefore)), null);
    }

    /**
     * Weighs the server with a tenth of the connections open and again with all of them, and divides the difference
     * by the connections opened in between. Weighing a fresh server instead would count what the first connection
     * costs once (pool chunks, classes, JIT-compiled code) as a per-connection cost, which then depends on the
     * connection count and differs between transports.
     */
    private Measurement measureIdle(Scenario scenario, ServerTransport transport, int round, EchoServerProcess server)
            throws IOException, InterruptedException {
        int connections = idleConnections;
        long needed = connections + SPARE_FILES;
        long clientLimit = ProcStats.openFilesSoftLimit("self");
        long serverLimit = ProcStats.openFilesSoftLimit(Long.toString(server.pid()));
        if (clientLimit < needed || serverLimit < needed) {
            return Measurement.failed(scenario, transport, round, connections + " connections need " + needed
                    + " open files in both processes; the load client may open " + clientLimit + " and the server "
                    + serverLimit + " (run through ./bench, which raises ulimit -n, or raise it yourself)");
        }
        int baseline = Measurement.Idle.baselineConnections(connections);
        long start = System.nanoTime();
        try (OpenConnections first = OpenConnections.open(clientMode, server.address(), baseline, scenario.length,
                timing.connectTimeout())) {
            String firstProblem = first.echoedProblem(timing.connectTimeout());
            if (firstProblem != null) {
                return Measurement.failed(scenario, transport, round, firstProblem + serverState(server));
            }
            long firstNanos = System.nanoTime() - start;
            Thread.sleep(IDLE_SETTLE);
            long heapBefore = HeapInfo.liveHeapBytes(jcmd, server.pid());
            long rssBefore = ProcStats.statusBytes(server.pid(), "VmRSS");

            long restStart = System.nanoTime();
            try (OpenConnections rest = OpenConnections.open(clientMode, server.address(), connections - baseline,
                    scenario.length, timing.connectTimeout())) {
                String restProblem = rest.echoedProblem(timing.connectTimeout());
                if (restProblem != null) {
                    return Measurement.failed(scenario, transport, round, restProblem + serverState(server));
                }
                double setupSeconds = (firstNanos + System.nanoTime() - restStart) / 1e9; // without the weighing
                Thread.sleep(IDLE_SETTLE);

                long heapAfter = HeapInfo.liveHeapBytes(jcmd, server.pid());
                long rssAfter = ProcStats.statusBytes(server.pid(), "VmRSS");
                long peakRss = ProcStats.statusBytes(server.pid(), "VmHWM");
                long errors = rest.stop(timing.grace()) + first.stop(timing.grace());
                if (!server.isAlive()) {
                    return Measurement.failed(scenario, transport, round, "server died during the run" + serverState(server));
                }
                return new Measurement(scenario, transport, round, null, null, new Measurement.Idle(connections,
                        baseline, rssBefore, rssAfter, heapBefore, heapAfter, peakRss, setupSeconds, errors));
            }
        }
    }

    /** Idle connections that each had one echo, held open while the server is weighed; none when count is 0. */
    private static final class OpenConnections implements AutoCloseable {
        /** Null for none. */
        private final LoadClient client;

        private OpenConnections(LoadClient client) {
            this.client = client;
        }

        static OpenConnections open(ClientMode mode, InetSocketAddress address, int count, int length,
                                    Duration connectTimeout) throws IOException {
            if (count == 0) {
                return new OpenConnections(null);
            }
            LoadClient client = LoadClient.connect(mode, new LoadSpec(address, count, length, 1), connectTimeout);
            client.start();
            return new OpenConnections(client);
        }

        /** Null once every connection had its echo; otherwise what went wrong, to fail the measurement with. */
        String echoedProblem(Duration timeout) throws InterruptedException {
            if (client == null) {
                return null;
            }
            boolean settled = client.awaitQuotaDone(timeout); // true also when failures fill the quota
            int count = client.spec().connections();
            LoadCounters counters = client.counters();
            if (settled && counters.responses() >= count) {
                return null;
            }
            return "only " + counters.responses() + " of " + count + " connections had their echo within "
                    + timeout.toSeconds() + " s (" + counters.errors() + " errors"
                    + (client.firstError() == null ? "" : ", first: " + client.firstError()) + ")";
        }

        /** Stops the client and returns its error count. */
        long stop(Duration grace) {
            return client == null ? 0 : client.stop(grace).errors();
        }

        @Override
        public void close() {
            if (client != null) {
                client.close();
            }
        }
    }

    /** The server's CPU time at one moment: the whole process's, and each JIT compiler thread's, in clock ticks. */
    private record ServerCpu(long ticks, Map<Long, Long> compilerThreadTicks) {

        static ServerCpu read(long pid) {
            return new ServerCpu(ProcStats.cpuTicks(pid), ProcStats.compilerThreadTicks(pid));
        }

        /** The server's CPU time from {@code before} to this reading, in microseconds. */
        double microsSince(ServerCpu before) {
            return ProcStats.ticksToMicros(ticks - before.ticks);
        }

        /** The share of that time its JIT compiler threads used, in percent (0 when it used none at all). */
        double jitPercentSince(ServerCpu before) {
            long serverTicks = ticks - before.ticks;
            return serverTicks > 0
                    ? 100.0 * ProcStats.ticksSince(before.compilerThreadTicks, compilerThreadTicks) / serverTicks : 0;
        }
    }

    private static String serverState(EchoServerProcess server) {
        if (server.isAlive()) {
            return "";
        }
        return "; server " + server.exitDescription() + ", last output:\n" + server.logTail(10);
    }
}
