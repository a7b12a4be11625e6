package io.ringline.bench.jmh;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import org.openjdk.jmh.annotations.Param;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** The JMH ping-pong's set-up, round trip and teardown on every transport it names, so the benchmark cannot rot. */
class PingPongBenchmarkTest {

    @Test
    void theBenchmarkRunsOnEveryPeerTransport() throws Exception {
        Param param = PingPongBenchmark.class.getField("transport").getAnnotation(Param.class);

        assertThat(param.value()).containsExactlyInAnyOrder(
                Arrays.stream(PeerTransport.values()).map(peer -> peer.cliName).toArray(String[]::new));
    }

    @ParameterizedTest
    @EnumSource(PeerTransport.class)
    void everyTransportEchoesTheRoundTrips(PeerTransport peer) throws Exception {
        PingPongBenchmark benchmark = new PingPongBenchmark();
        benchmark.transport = peer.cliName;
        benchmark.size = 512;
        benchmark.start();
        try {
            // Two connections, as two benchmark threads (-t 2) have: each gets its own echoes.
            PingPongBenchmark.Connection first = new PingPongBenchmark.Connection();
            PingPongBenchmark.Connection second = new PingPongBenchmark.Connection();
            first.connect(benchmark);
            second.connect(benchmark);
            try {
                for (int i = 0; i < 1_000; i++) {
                    for (PingPongBenchmark.Connection connection : new PingPongBenchmark.Connection[] {first, second}) {
                        Arrays.fill(connection.response, (byte) 0);
                        assertThat(benchmark.roundTrip(connection)).isEqualTo((byte) 'r');
                        assertThat(connection.response).isEqualTo(connection.request);
                    }
                }
            } finally {
                first.close();
                second.close();
            }
        } finally {
            benchmark.stop();
        }
    }
}
