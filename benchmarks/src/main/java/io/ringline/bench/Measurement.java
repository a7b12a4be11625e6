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

    /** An idle-connections run: server memory before and after the connections, both after a full GC. */
    record Idle(int connections, long rssBeforeBytes, long rssAfterBytes, long liveHeapBeforeBytes,
                long liveHeapAfterBytes, long peakRssBytes, double setupSeconds, long errors) {
        double rssPerConnectionBytes() {
            return (rssAfterBytes - rssBeforeBytes) / (double) connections;
        }

        double heapPerConnectionBytes() {
            return (liveHeapAfterBytes - liveHeapBeforeBytes) / (double) connections;
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
