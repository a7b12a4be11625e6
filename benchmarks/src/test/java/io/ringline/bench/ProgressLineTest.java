package io.ringline.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The console's one line per measurement says why a failed one failed, not what the server last printed. */
class ProgressLineTest {

    @Test
    void aServerThatDiedIsReportedAsDeadNotByItsLastOutput() {
        // What Measurer records when the server was killed (here SIGKILL: 137) during the run.
        Measurement failed = Measurement.failed(Scenario.ORIGINAL, ServerTransport.NIO, 1,
                "UncheckedIOException: cannot read /proc/4242/stat (process gone?); server exited with code 137, "
                        + "last output:\nTransport: nio (requested)\nEcho server (nio) listening on 127.0.0.1:40000");

        String line = BenchRunner.progressLine(failed);

        assertThat(line).startsWith("FAILED: ").contains("server exited with code 137", "process gone?")
                .doesNotContain("listening on");
    }

    @Test
    void aOneLineFailureIsShownWhole() {
        Measurement failed = Measurement.failed(Scenario.ORIGINAL, ServerTransport.NIO, 1,
                "no echo completed in the measured window (first error: server closed the connection)");

        assertThat(BenchRunner.progressLine(failed))
                .isEqualTo("FAILED: no echo completed in the measured window (first error: server closed the connection)");
    }
}
