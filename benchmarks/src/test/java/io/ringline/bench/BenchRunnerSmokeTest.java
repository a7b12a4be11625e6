package io.ringline.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the real runner end to end against the real echo-app jar, about a second per measurement,
 * so the benchmark tooling cannot rot unnoticed. The jar comes from echo-app's package phase, which
 * a reactor build (mvn verify from the root) runs before this module's tests.
 */
class BenchRunnerSmokeTest {
    /** About a second and a half of load per measurement; a test's own flags override these. */
    private static final Map<String, String> QUICK = Map.of("--rounds", "1", "--duration", "1", "--warmup", "0.5", "--grace", "2");

    @TempDir
    Path out;

    private record Run(BenchRunner.Outcome outcome, String console) {
    }

    private Run run(String... args) {
        String jar = System.getProperty("ringline.echoJar");
        assertThat(jar).as("surefire sets the system property ringline.echoJar").isNotNull();
        assertThat(Path.of(jar)).as("the echo-app fat jar: build the whole reactor (mvn verify from the root)").isRegularFile();

        List<String> all = new ArrayList<>(List.of("--jar", jar, "--out", out.toString()));
        List<String> given = List.of(args);
        QUICK.forEach((flag, value) -> {
            if (!given.contains(flag)) {
                all.addAll(List.of(flag, value));
            }
        });
        all.addAll(given);
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream both = new PrintStream(console, true, StandardCharsets.UTF_8);
        BenchRunner runner = new BenchRunner(both, both);
        int exit = BenchRunner.commandLine(runner).execute(all.toArray(String[]::new));
        String text = console.toString(StandardCharsets.UTF_8);
        System.out.print(text);
        assertThat(exit).as(text).isZero();
        return new Run(runner.outcome(), text);
    }

    @Test
    void nettyPeersGoThroughEveryKindOfScenario() throws Exception {
        Path latest = out.resolve("latest.md");
        Files.writeString(latest, "the last full run");
        Run run = run("--transports", "nio,epoll", "--scenarios", "original,latency,bandwidth,idle10k",
                "--idle-connections", "200");
        Results results = run.outcome().results();

        assertThat(Files.readString(run.outcome().report())).contains("in-process, ring mode");
        assertThat(results.unavailable()).isEmpty();
        assertThat(results.all()).hasSize(2 * 4);
        for (Measurement m : results.all()) {
            assertThat(m.failure()).as("%s %s", m.scenario(), m.transport()).isNull();
            assertThat(m.errors()).as("%s %s errors", m.scenario(), m.transport()).isZero();
            if (m.scenario() == Scenario.IDLE10K) {
                assertThat(m.idle().connections()).isEqualTo(200);
                assertThat(m.idle().baselineConnections()).isEqualTo(20);
                assertThat(m.idle().rssBeforeBytes()).isPositive();
                assertThat(m.idle().rssAfterBytes()).isPositive();
                assertThat(m.idle().liveHeapAfterBytes()).isPositive();
            } else {
                assertThat(m.load().roundTrips()).isPositive();
                assertThat(m.load().requestsPerSecond()).isPositive();
                assertThat(m.load().serverCpuMicrosPerRequest()).isPositive().isFinite();
                assertThat(m.load().clientCpuMicrosPerRequest()).isPositive().isFinite();
                assertThat(m.load().serverJitPercent()).isBetween(0.0, 100.0);
                assertThat(m.load().p99Micros()).isPositive();
                assertThat(m.load().peakRssBytes()).isPositive();
            }
        }
        // Half a second into its life a server JVM is still compiling: the compiler threads' CPU must show up.
        assertThat(results.all()).filteredOn(m -> m.load() != null)
                .anySatisfy(m -> assertThat(m.load().serverJitPercent()).isPositive());

        String report = Files.readString(run.outcome().report());
        assertThat(run.outcome().latest()).as("two transports are not a full run").isEmpty();
        assertThat(latest).hasContent("the last full run");
        assertThat(run.console()).contains("latest.md left as it was");
        assertThat(report).contains("## original", "## latency", "## bandwidth", "## idle10k", "| nio |", "| epoll |",
                "Kernel", "Server JDK", "server JIT %");
        assertThat(run.outcome().charts()).containsOnlyKeys(Scenario.ORIGINAL, Scenario.LATENCY, Scenario.BANDWIDTH, Scenario.IDLE10K);
        for (Path chart : run.outcome().charts().values()) {
            assertThat(chart).isRegularFile();
            assertThat(Files.size(chart)).isGreaterThan(1000);
            assertThat(report).contains("](" + chart.getFileName() + ")");
        }
        assertThat(run.console()).contains("round 1/1  nio", "round 1/1  epoll", "Report: ");
    }

    @Test
    void externalClientCommandIsParsed() {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String template = java + " -cp " + System.getProperty("java.class.path")
                + " io.ringline.bench.EchoBench -a {address} -c {conns} -t {duration} -l {length} --latency";

        Run run = run("--transports", "nio", "--scenarios", "original", "--warmup", "0", "--client-cmd", template);

        Measurement m = run.outcome().results().all().getFirst();
        assertThat(m.failure()).isNull();
        assertThat(m.load().roundTrips()).isPositive();
        assertThat(m.load().p99Micros()).isPositive();
        assertThat(m.errors()).isZero();
    }

    @Test
    void timingsThatCannotWorkAreRefusedBeforeAnyServerStarts() {
        for (String[] flags : List.of(new String[]{"--connect-timeout", "0"}, new String[]{"--startup-timeout", "0"},
                new String[]{"--duration", "0.0001"})) {
            ByteArrayOutputStream console = new ByteArrayOutputStream();
            PrintStream both = new PrintStream(console, true, StandardCharsets.UTF_8);
            List<String> args = new ArrayList<>(List.of("--out", out.toString(), "--scenarios", "original",
                    "--transports", "nio"));
            args.addAll(List.of(flags));
            int exit = BenchRunner.commandLine(new BenchRunner(both, both)).execute(args.toArray(String[]::new));

            String text = console.toString(StandardCharsets.UTF_8);
            assertThat(exit).as(text).isEqualTo(2);
            assertThat(text).as(String.join(" ", flags)).contains(flags[0] + (flags[0].equals("--duration")
                    ? " must be at least 0.001 s" : ""), "must be at least 0.001 s");
        }
    }

    @Test
    void onlyARunOfEveryScenarioAndDefaultTransportIsFull() {
        List<Scenario> every = List.of(Scenario.values());
        List<ServerTransport> defaults = ServerTransport.defaultMatrix();
        List<ServerTransport> more = new ArrayList<>(defaults);
        more.add(ServerTransport.RINGLINE_FIXED);

        assertThat(BenchRunner.isFullRun(every, defaults)).isTrue();
        assertThat(BenchRunner.isFullRun(every, more)).isTrue();
        assertThat(BenchRunner.isFullRun(every, defaults.subList(0, defaults.size() - 1))).isFalse();
        assertThat(BenchRunner.isFullRun(List.of(Scenario.ORIGINAL), defaults)).isFalse();
    }

    @Test
    void eachRoundStartsOneTransportLater() {
        List<String> abc = List.of("a", "b", "c");
        assertThat(BenchRunner.roundOrder(abc, 1)).containsExactly("a", "b", "c");
        assertThat(BenchRunner.roundOrder(abc, 2)).containsExactly("b", "c", "a");
        assertThat(BenchRunner.roundOrder(abc, 3)).containsExactly("c", "a", "b");
        assertThat(BenchRunner.roundOrder(abc, 4)).containsExactly("a", "b", "c");
        assertThat(BenchRunner.roundOrder(List.of("a"), 7)).containsExactly("a");
    }

    @Test
    void ringlineRunsInEachSetUp() {
        Run run = run("--transports", "ringline,ringline-nopool,ringline-fixed", "--scenarios", "original",
                "--rounds", "2");
        Results results = run.outcome().results();

        assertThat(results.unavailable()).as("start failures").isEmpty();
        assertThat(run.console()).containsSubsequence("round 1/2  ringline ", "round 1/2  ringline-nopool",
                "round 1/2  ringline-fixed", "round 2/2  ringline-nopool", "round 2/2  ringline-fixed",
                "round 2/2  ringline ");
        assertThat(results.all()).hasSize(6);
        for (Measurement m : results.all()) {
            assertThat(m.failure()).as("%s", m.transport()).isNull();
            assertThat(m.errors()).as("%s errors", m.transport()).isZero();
            assertThat(m.load().roundTrips()).isPositive();
        }
    }

    @Test
    void nettyIoUringRunsUnderTheSelectorClient() throws IOException {
        // The other tests use the default client (ring); this one keeps the selector client working in the runner.
        Run run = run("--transports", "netty-iouring", "--scenarios", "original", "--client-mode", "events");
        Results results = run.outcome().results();

        assertThat(results.unavailable()).as("start failures").isEmpty();
        Measurement m = results.all().getFirst();
        assertThat(m.failure()).isNull();
        assertThat(m.errors()).isZero();
        assertThat(m.load().roundTrips()).isPositive();
        assertThat(Files.readString(run.outcome().report())).contains("in-process, events mode");
    }
}
