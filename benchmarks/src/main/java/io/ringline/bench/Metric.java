package io.ringline.bench;

import java.util.function.ToDoubleFunction;

/** A figure taken from successful measurements, with its label and whether more is better. */
enum Metric {
    REQUESTS_PER_SECOND("req/s", true, Source.LOAD, m -> m.load().requestsPerSecond()),
    CPU_MICROS_PER_REQUEST("server CPU µs/request", false, Source.LOAD, m -> m.load().serverCpuMicrosPerRequest()),
    /** The load client's cost; 1e6 ÷ this is the most req/s it could drive with a whole core. */
    CLIENT_CPU_MICROS_PER_REQUEST("client CPU µs/request", false, Source.LOAD,
            m -> m.load().clientCpuMicrosPerRequest()),
    /** How much of the server's window CPU went to compiling: near zero when the warm-up reached steady state. */
    SERVER_JIT_PERCENT("server JIT %", false, Source.LOAD, m -> m.load().serverJitPercent()),
    CLIENT_CORE_PERCENT("client core busy %", false, Source.LOAD, m -> m.load().clientCorePercent()),
    P50_MICROS("p50 µs", false, Source.LOAD, m -> m.load().p50Micros()),
    P99_MICROS("p99 µs", false, Source.LOAD, m -> m.load().p99Micros()),
    /** Echoed payload one way: what the bandwidth scenario is about. */
    MIB_PER_SECOND("MiB/s each way", true, Source.LOAD,
            m -> m.load().requestsPerSecond() * m.scenario().length / Metric.MIB),
    PEAK_RSS_MIB("peak RSS MiB", false, Source.EITHER,
            m -> (m.load() != null ? m.load().peakRssBytes() : m.idle().peakRssBytes()) / Metric.MIB),
    RSS_BEFORE_MIB("RSS before MiB", false, Source.IDLE, m -> m.idle().rssBeforeBytes() / Metric.MIB),
    RSS_AFTER_MIB("RSS after MiB", false, Source.IDLE, m -> m.idle().rssAfterBytes() / Metric.MIB),
    RSS_PER_CONNECTION_KIB("RSS KiB/connection", false, Source.IDLE, m -> m.idle().rssPerConnectionBytes() / Metric.KIB),
    HEAP_AFTER_MIB("live heap after MiB", false, Source.IDLE, m -> m.idle().liveHeapAfterBytes() / Metric.MIB),
    HEAP_PER_CONNECTION_KIB("live heap KiB/connection", false, Source.IDLE, m -> m.idle().heapPerConnectionBytes() / Metric.KIB),
    SETUP_SECONDS("connect+echo s", false, Source.IDLE, m -> m.idle().setupSeconds());

    /** Which part of a measurement the figure comes from. */
    private enum Source { LOAD, IDLE, EITHER }

    // Referenced qualified above: enum constants may not use simple names of later static fields.
    private static final double KIB = 1024.0;
    private static final double MIB = 1024.0 * 1024.0;

    final String label;
    final boolean higherIsBetter;
    private final Source source;
    private final ToDoubleFunction<Measurement> extractor;

    Metric(String label, boolean higherIsBetter, Source source, ToDoubleFunction<Measurement> extractor) {
        this.label = label;
        this.higherIsBetter = higherIsBetter;
        this.source = source;
        this.extractor = extractor;
    }

    /** The value of a successful measurement; NaN where it does not apply or was not recorded. */
    double of(Measurement measurement) {
        boolean applies = switch (source) {
            case LOAD -> measurement.load() != null;
            case IDLE -> measurement.idle() != null;
            case EITHER -> measurement.ok();
        };
        return applies ? extractor.applyAsDouble(measurement) : Double.NaN;
    }
}
