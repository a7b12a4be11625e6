package io.ringline.bench;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;

import static org.assertj.core.api.Assertions.assertThat;

class ExternalClientTest {

    @Test
    void expandsTheTemplate() {
        ExternalClient client = new ExternalClient(
                "rust_echo_bench --address {address} --number {conns} --duration {duration} --length {length}", false);

        assertThat(client.expand(new InetSocketAddress(InetAddress.getLoopbackAddress(), 4321), 50, 10, 512))
                .isEqualTo("rust_echo_bench --address 127.0.0.1:4321 --number 50 --duration 10 --length 512");
    }

    @Test
    void parsesRustEchoBenchOutput() {
        ExternalClient.Output output = ExternalClient.parse("""
                Benchmarking: 127.0.0.1:12345
                50 clients, running 512 bytes, 10 sec.

                Speed: 91234 request/sec, 91230 response/sec
                Requests: 912345
                Responses: 912300
                """);

        assertThat(output.requests()).isEqualTo(912345);
        assertThat(output.responses()).isEqualTo(912300);
        assertThat(output.errors()).isZero();
        assertThat(output.p99Micros()).isEmpty();
    }

    @Test
    void countsTheConnectionsRustEchoBenchAbandoned() {
        ExternalClient.Output output = ExternalClient.parse("""
                Read error! length=32768
                Read error! length=21845
                Write error!
                Benchmarking: 127.0.0.1:12345
                50 clients, running 65536 bytes, 10 sec.

                Speed: 1234 request/sec, 1230 response/sec
                Requests: 12340
                Responses: 12300
                """);

        assertThat(output.errors()).isEqualTo(3);
    }

    @Test
    void parsesEchoBenchExtras() {
        ExternalClient.Output output = ExternalClient.parse("""
                Speed: 10 request/sec, 10 response/sec
                Requests: 100
                Responses: 99
                Errors: 1
                Latency p50: 12.5 us, p99: 80.0 us
                """);

        assertThat(output.errors()).isEqualTo(1);
        assertThat(output.p50Micros()).hasValue(12.5);
        assertThat(output.p99Micros()).hasValue(80.0);
    }
}
