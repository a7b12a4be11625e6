package io.ringline.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ResultsTest {

    private static Measurement load(ServerTransport transport, int round, double cpuMicrosPerRequest) {
        return new Measurement(Scenario.ORIGINAL, transport, round, null,
                new Measurement.Load(5, 500_000, 100_000, cpuMicrosPerRequest, 1 << 27, 0, 450, 1200, 8, 0.5), null);
    }

    @Test
    void ratiosPairTheRoundsThatRanBackToBack() {
        Results results = new Results();
        // The machine slows down in round 2 for both: the per-round ratio stays put, a ratio of medians would not.
        results.add(load(ServerTransport.RINGLINE, 1, 9));
        results.add(load(ServerTransport.EPOLL, 1, 10));
        results.add(load(ServerTransport.RINGLINE, 2, 18));
        results.add(load(ServerTransport.EPOLL, 2, 20));
        results.add(load(ServerTransport.RINGLINE, 3, 9.5));
        results.add(load(ServerTransport.EPOLL, 3, 9.5));

        Spread ratio = results.ringlineRatio(Scenario.ORIGINAL, ServerTransport.EPOLL, Metric.CPU_MICROS_PER_REQUEST);

        assertThat(ratio).isEqualTo(new Spread(0.9, 0.9, 1.0, 3));
        assertThat(ReportWriter.ratio(ratio)).isEqualTo("0.90× (0.90–1.00)");
    }

    @Test
    void roundsWhereEitherSideFailedAreLeftOut() {
        Results results = new Results();
        results.add(load(ServerTransport.RINGLINE, 1, 8));
        results.add(load(ServerTransport.NIO, 1, 10));
        results.add(Measurement.failed(Scenario.ORIGINAL, ServerTransport.RINGLINE, 2, "server died"));
        results.add(load(ServerTransport.NIO, 2, 10));
        results.add(load(ServerTransport.RINGLINE, 3, 9));

        Spread ratio = results.ringlineRatio(Scenario.ORIGINAL, ServerTransport.NIO, Metric.CPU_MICROS_PER_REQUEST);

        assertThat(ratio).isEqualTo(new Spread(0.8, 0.8, 0.8, 1));
        assertThat(ReportWriter.ratio(ratio)).isEqualTo("0.80×");
        assertThat(ReportWriter.ratio(results.ringlineRatio(Scenario.ORIGINAL, ServerTransport.EPOLL,
                Metric.CPU_MICROS_PER_REQUEST))).isEqualTo("–");
    }
}
