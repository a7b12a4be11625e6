package io.ringline.bench;

/**
 * One cell of the matrix: one scenario against one transport in one round. Exactly one of
 * {@link #failure}, {@link #load} and {@link #idle} is set.
 */
record Measurement(Scenario scenario, ServerTransport transport, int round, String failure, Load load, Idle idle) {

    /**
     * A throughput/latency run. {@code roundTrips} completed in the window of {@code seconds};
     * {@code serverCpuMicrosPerRequest} is the server's user+system CPU over that window divided by
     * them. Percentiles are NaN when the client could not record them. {@code clientCpuMicrosPerRequest} is the
     * in-process load client's CPU (the runner's whole JVM) over the same window per round trip; NaN for an
     * external client. {@code serverJitPercent} is the share of the server's window CPU that its JIT compiler threads
     * used: the measurement is of a warmed-up server only when it is near zero (a longer --warmup lowers it).
     */
    record Load(double seconds, long roundTrips, double requestsPerSecond, double serverCpuMicrosPerRequest,
                long peakRssBytes, long errors, double p50Micros, double p99Micros, double clientCpuMicrosPerRequest,
                double serverJitPercent) {

        /** How much of one core the load client used: near 100% the client, not the server, limits req/s. */
        double clientCorePercent() {
            return clientCpuMicrosPerRequest * requestsPerSecond / 1e4;
        }
    }

    /**
     * An idle-connections run: server memory (each weighed after a full GC) with the first
     * {@code baselineConnections} open, and again with all {@code connections}; per-connection figures divide the
     * difference by the connections opened in between, so what the first connection costs once is not in them.
     */
    record Idle(int connections, int baselineConnections, long rssBeforeBytes, long rssAfterBytes,
                long liveHeapBeforeBytes, long liveHeapAfterBytes, long peakRssBytes, double setupSeconds, long errors) {

        /** A tenth of the connections (none below ten) are open when the server is first weighed. */
        static int baselineConnections(int connections) {
            return connections / 10;
        }

        double rssPerConnectionBytes() {
            return (rssAfterBytes - rssBeforeBytes) / (double) (connections - baselineConnections);
        }

        double heapPerConnectionBytes() {
            return (liveHeapAfterBytes - liveHeapBeforeBytes) / (double) (connections - baselineConnections);
        }
    }

    static Measurement failed(Scenario scenario, ServerTransport transport, int round, String failure) {
        return new Measurement(scenario, transport, round, failure, null, null);
    }

    boolean ok() {
        return failure == null;
    }

    long errors() {
        return load != null ? load.errors() : idle != null ? idle.errors() : 0;
    }
}
