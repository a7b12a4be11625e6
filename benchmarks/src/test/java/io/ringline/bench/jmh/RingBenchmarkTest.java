package io.ringline.bench.jmh;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The ring-core microbenchmarks' set-up, some invocations and teardown, so they cannot rot unnoticed. */
class RingBenchmarkTest {

    @Test
    void theNopBatchesComeBackAndTheSlotsReturn() throws Exception {
        RingBenchmark benchmark = new RingBenchmark();
        benchmark.setUp();
        try {
            long sum = 0;
            for (int i = 0; i < 1_000; i++) {
                sum = benchmark.nopBatchRoundTrip();
            }
            // Each batch's NOPs carry user_data 0..31 and complete with res 0.
            assertThat(sum).as("user_data of every NOP reaped").isEqualTo(1_000L * (31 * 32 / 2));
            for (int i = 0; i < 1_000; i++) {
                assertThat(benchmark.slotTakeAndReturn()).as("slots in use after a take and return").isZero();
            }
        } finally {
            benchmark.tearDown();
        }
    }
}
