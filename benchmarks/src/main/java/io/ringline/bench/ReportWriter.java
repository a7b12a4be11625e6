package io.ringline.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Renders {@link Results} as the Markdown report. */
final class ReportWriter {

    /** What was run and how; printed in the report header. */
    record Settings(String commandLine, String startedAt, List<Scenario> scenarios, List<ServerTransport> transports,
                    int rounds, Measurer.Timing timing, boolean pinned, String client, String serverLaunch,
                    int idleConnections) {
    }

    /** Columns of a scenario's table: metrics shown as median plus min–max, then as median only. */
    record Layout(List<Metric> withRange, List<Metric> medianOnly, List<Metric> ratios) {
    }

    static Layout layout(Scenario scenario) {
        return switch (scenario) {
            case LATENCY -> new Layout(
                    List.of(Metric.P50_MICROS, Metric.P99_MICROS),
                    List.of(Metric.REQUESTS_PER_SECOND, Metric.CPU_MICROS_PER_REQUEST, Metric.SERVER_JIT_PERCENT,
                            Metric.PEAK_RSS_MIB),
                    List.of(Metric.P99_MICROS, Metric.REQUESTS_PER_SECOND, Metric.CPU_MICROS_PER_REQUEST));
            case BANDWIDTH -> new Layout(
                    List.of(Metric.MIB_PER_SECOND, Metric.CPU_MICROS_PER_REQUEST),
                    List.of(Metric.REQUESTS_PER_SECOND, Metric.P99_MICROS, Metric.SERVER_JIT_PERCENT, Metric.PEAK_RSS_MIB),
                    List.of(Metric.REQUESTS_PER_SECOND, Metric.CPU_MICROS_PER_REQUEST));
            case IDLE10K -> new Layout(
                    List.of(Metric.RSS_PER_CONNECTION_KIB, Metric.HEAP_PER_CONNECTION_KIB),
                    List.of(Metric.RSS_BEFORE_MIB, Metric.RSS_AFTER_MIB, Metric.HEAP_AFTER_MIB, Metric.PEAK_RSS_MIB,
                            Metric.SETUP_SECONDS),
                    List.of(Metric.RSS_PER_CONNECTION_KIB, Metric.HEAP_PER_CONNECTION_KIB));
            case ORIGINAL, C500 -> new Layout(
                    List.of(Metric.REQUESTS_PER_SECOND, Metric.CPU_MICROS_PER_REQUEST),
                    List.of(Metric.P99_MICROS, Metric.SERVER_JIT_PERCENT, Metric.PEAK_RSS_MIB,
                            Metric.CLIENT_CPU_MICROS_PER_REQUEST, Metric.CLIENT_CORE_PERCENT),
                    List.of(Metric.REQUESTS_PER_SECOND, Metric.CPU_MICROS_PER_REQUEST));
        };
    }

    /** The panels of a scenario's chart. */
    static List<Metric> chartMetrics(Scenario scenario) {
        return switch (scenario) {
            case LATENCY -> List.of(Metric.P50_MICROS, Metric.P99_MICROS);
            case IDLE10K -> List.of(Metric.RSS_PER_CONNECTION_KIB, Metric.HEAP_PER_CONNECTION_KIB);
            case ORIGINAL, C500, BANDWIDTH -> List.of(Metric.CPU_MICROS_PER_REQUEST, Metric.REQUESTS_PER_SECOND);
        };
    }

    private ReportWriter() {
    }

    /** {@code charts}: scenario → PNG file name next to the report (absent when none was drawn). */
    static String render(Settings settings, Map<String, String> facts, Results results, Map<Scenario, String> charts) {
        StringBuilder md = new StringBuilder();
        md.append("# Ringline echo benchmark — ").append(settings.startedAt()).append("\n\n");
        md.append("Command: `").append(settings.commandLine()).append("`\n\n");

        md.append("## Setup\n\n| | |\n|---|---|\n");
        facts.forEach((key, value) -> row(md, key, value));
        row(md, "Echo server", settings.serverLaunch());
        row(md, "Load client", settings.client());
        row(md, "Pinning", settings.pinned()
                ? "server on CPU " + Pinning.SERVER_CPU + ", load client on CPU " + Pinning.CLIENT_CPU + " (taskset)"
                : "none (scheduler places server and client)");
        Measurer.Timing timing = settings.timing();
        row(md, "Per measurement", String.format(Locale.ROOT,
                "fresh server JVM; %s s warm-up, %s s measured, up to %s s grace for in-flight echoes",
                seconds(timing.warmup()), seconds(timing.duration()), seconds(timing.grace())));
        row(md, "Rounds", settings.rounds() + " (every transport once per round; round 1 runs "
                + String.join(", ", settings.transports().stream().map(ServerTransport::cliName).toList())
                + ", each later round starts one transport later)");
        md.append('\n');

        md.append("""
                ## How to read this

                - Each figure is the **median over the rounds**; *min–max* is the spread across rounds.
                - **server CPU µs/request** = the server process's user+system CPU time (from /proc/PID/stat) over
                  the measured window ÷ echoes completed in it. It is the efficiency figure that tells servers apart
                  even when the load client is the bottleneck for req/s. Lower is better.
                - **ringline ÷ peer** columns divide Ringline's figure by that row's, round by round (the two ran
                  in the same round, minutes apart, so machine drift between rounds cancels): the median ratio,
                  then its min–max over the rounds. For req/s above 1 means Ringline is faster; for CPU µs/request,
                  latency and memory below 1 means Ringline needs less. A range that straddles 1 is no difference
                  this machine can show.
                - **server JIT %**: the share of that CPU the server's JIT compiler threads used. Near zero, the
                  window measured a warmed-up server; a few percent or more, the warm-up was too short for it and its
                  CPU µs/request includes compiling (a longer --warmup fixes that).
                - **client CPU µs/request** and **client core busy %**: the in-process load client's own CPU (the
                  runner's JVM, pinned to its core) over the same window. 1,000,000 ÷ client µs/request is the most
                  req/s the client could drive; near 100% busy, req/s measures the client, not the server.
                - **errors**: echoes that failed verification, connections that broke, and echoes still missing at
                  the end of the grace period, summed over rounds. Any non-zero count is a bug to look at.
                - Peak RSS is the server's VmHWM over its whole life (start-up, warm-up and window).
                - **idle10k**: the server is weighed (full GC, then live heap and VmRSS) with a tenth of the
                  connections open and again with all of them; *before* and *after* are those two weighings, and
                  the per-connection figures divide their difference by the connections opened in between, so
                  what the first connection costs once (pool chunks, classes, compiled code) is not counted.

                """);

        for (Scenario scenario : settings.scenarios()) {
            renderScenario(md, settings, results, scenario, charts.get(scenario));
        }

        renderProblems(md, results);
        renderAllMeasurements(md, results);
        return md.toString();
    }

    private static void renderScenario(StringBuilder md, Settings settings, Results results, Scenario scenario, String chart) {
        String description = scenario == Scenario.IDLE10K && settings.idleConnections() != scenario.connections
                ? String.format(Locale.ROOT, "%,d idle connections (one %d B echo each): server memory",
                        settings.idleConnections(), scenario.length)
                : scenario.description;
        md.append("## ").append(scenario.cliName).append(" — ").append(description).append("\n\n");
        Layout layout = layout(scenario);

        List<String> header = new ArrayList<>(List.of("transport"));
        for (Metric metric : layout.withRange()) {
            header.add(metric.label);
            header.add("min–max");
        }
        layout.medianOnly().forEach(metric -> header.add(metric.label));
        header.add("errors");
        header.add("rounds ok");
        layout.ratios().forEach(metric -> header.add("ringline ÷ peer " + metric.label));
        md.append("| ").append(String.join(" | ", header)).append(" |\n");
        md.append("|---".repeat(header.size())).append("|\n");

        for (ServerTransport transport : settings.transports()) {
            List<Measurement> runs = results.of(scenario, transport);
            List<String> cells = new ArrayList<>(List.of(transport == ServerTransport.RINGLINE ? "**ringline**" : transport.cliName));
            if (runs.isEmpty()) {
                cells.add(results.isUnavailable(transport) ? "unavailable (see below)" : "not run");
                while (cells.size() < header.size()) {
                    cells.add("");
                }
            } else {
                for (Metric metric : layout.withRange()) {
                    Spread spread = results.spread(scenario, transport, metric);
                    cells.add(number(spread.median()));
                    cells.add(spread.isEmpty() ? "–" : number(spread.min()) + "–" + number(spread.max()));
                }
                for (Metric metric : layout.medianOnly()) {
                    cells.add(number(results.spread(scenario, transport, metric).median()));
                }
                long errors = results.errors(scenario, transport);
                cells.add(errors == 0 ? "0" : "**" + errors + "**");
                cells.add(runs.stream().filter(Measurement::ok).count() + "/" + runs.size());
                for (Metric metric : layout.ratios()) {
                    Spread ratio = transport == ServerTransport.RINGLINE
                            ? Spread.NONE : results.ringlineRatio(scenario, transport, metric);
                    cells.add(ratio(ratio));
                }
            }
            md.append("| ").append(String.join(" | ", cells)).append(" |\n");
        }
        md.append('\n');
        if (chart != null) {
            md.append("![").append(scenario.cliName).append("](").append(chart).append(")\n\n");
        }
    }

    private static void renderProblems(StringBuilder md, Results results) {
        if (results.unavailable().isEmpty() && results.failures().isEmpty()) {
            return;
        }
        md.append("## Unavailable transports and failed measurements\n\n");
        results.unavailable().forEach((transport, reason) ->
                md.append("- **").append(transport.cliName).append("** did not start: ").append(indent(reason)).append('\n'));
        for (Measurement failed : results.failures()) {
            md.append("- ").append(failed.scenario().cliName).append(" round ").append(failed.round()).append(' ')
                    .append(failed.transport().cliName).append(": ").append(indent(failed.failure())).append('\n');
        }
        md.append('\n');
    }

    private static void renderAllMeasurements(StringBuilder md, Results results) {
        md.append("## Every measurement\n\n");
        md.append("| scenario | round | transport | req/s | server CPU µs/request | server JIT % | p50 µs | p99 µs | peak RSS MiB | RSS KiB/conn | errors | note |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Measurement m : results.all()) {
            md.append("| ").append(String.join(" | ", List.of(
                    m.scenario().cliName, Integer.toString(m.round()), m.transport().cliName,
                    number(Metric.REQUESTS_PER_SECOND.of(m)), number(Metric.CPU_MICROS_PER_REQUEST.of(m)),
                    number(Metric.SERVER_JIT_PERCENT.of(m)), number(Metric.P50_MICROS.of(m)), number(Metric.P99_MICROS.of(m)),
                    number(Metric.PEAK_RSS_MIB.of(m)), number(Metric.RSS_PER_CONNECTION_KIB.of(m)),
                    Long.toString(m.errors()), m.ok() ? "" : "failed"))).append(" |\n");
        }
        md.append('\n');
    }

    /** A ratio's median and range over the rounds: "0.93× (0.85–1.02)"; "–" for none. */
    static String ratio(Spread ratio) {
        if (ratio.isEmpty()) {
            return "–";
        }
        String median = String.format(Locale.ROOT, "%.2f×", ratio.median());
        return ratio.count() == 1 ? median
                : median + String.format(Locale.ROOT, " (%.2f–%.2f)", ratio.min(), ratio.max());
    }

    /** A figure with as many decimals as its size deserves; "–" for none. */
    static String number(double value) {
        if (Double.isNaN(value)) {
            return "–";
        }
        double magnitude = Math.abs(value);
        String format = magnitude >= 1000 ? "%,.0f" : magnitude >= 100 ? "%.0f" : magnitude >= 10 ? "%.1f" : "%.2f";
        return String.format(Locale.ROOT, format, value);
    }

    private static String seconds(java.time.Duration duration) {
        return java.math.BigDecimal.valueOf(duration.toMillis(), 3).stripTrailingZeros().toPlainString();
    }

    private static void row(StringBuilder md, String key, String value) {
        md.append("| ").append(key).append(" | ").append(value.replace("|", "/").replace("\n", " ")).append(" |\n");
    }

    /** Multi-line text (a server's last output) as an indented code block under a list item. */
    private static String indent(String text) {
        String[] lines = text.strip().split("\n");
        if (lines.length == 1) {
            return lines[0];
        }
        return lines[0] + "\n\n  ```\n  " + String.join("\n  ", java.util.Arrays.copyOfRange(lines, 1, lines.length)) + "\n  ```";
    }
}
