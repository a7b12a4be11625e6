package io.ringline.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What every load client mode must do beyond EchoBench's output: quotas, and a server that goes away. */
class LoadClientTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @ParameterizedTest
    @EnumSource(ClientMode.class)
    void aQuotaSendsExactlyThatManyVerifiedEchoesPerConnection(ClientMode mode) throws Exception {
        try (TestEchoServer server = new TestEchoServer(TestEchoServer.Behaviour.ECHO);
             LoadClient client = LoadClient.connect(mode, new LoadSpec(server.address(), 7, 3000, 5), TIMEOUT)) {
            client.start();

            assertThat(client.awaitQuotaDone(TIMEOUT)).isTrue();
            LoadCounters done = client.stop(Duration.ofSeconds(1));
            assertThat(done).isEqualTo(new LoadCounters(35, 35, 0));
            assertThat(client.takeLatency().getTotalCount()).isEqualTo(35);
            assertThat(client.firstError()).isNull();
        }
    }

    /**
     * A listener that never accepts, with a backlog of one: the kernel completes the handshakes its accept queue
     * holds and drops later SYNs, so connecting stalls part-way. The error says once how far it got.
     */
    @ParameterizedTest
    @EnumSource(ClientMode.class)
    void aConnectThatStallsPartWayTimesOutSayingOnceHowManyOpened(ClientMode mode) throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
            InetSocketAddress address = (InetSocketAddress) listener.getLocalAddress();

            assertThatThrownBy(() -> LoadClient.connect(mode, LoadSpec.continuous(address, 20, 512),
                    Duration.ofSeconds(1)).close())
                    .isInstanceOf(IOException.class)
                    .satisfies(e -> assertThat(Pattern.compile("opening [1-9]\\d* of 20 connections")
                            .matcher(e.getMessage()).results().count()).as(e.getMessage()).isEqualTo(1));
        }
    }

    @Test
    void theRingClientKeepsReceivingWhenItsProvidedBuffersRunOut() throws Exception {
        // Two 1000-byte buffers for eight connections: multishot receives keep ending with ENOBUFS.
        try (TestEchoServer server = new TestEchoServer(TestEchoServer.Behaviour.ECHO);
             LoadClient client = RingClient.connect(new LoadSpec(server.address(), 8, 1000, 50), TIMEOUT, 2)) {
            client.start();

            assertThat(client.awaitQuotaDone(TIMEOUT)).isTrue();
            assertThat(client.stop(Duration.ofSeconds(1))).isEqualTo(new LoadCounters(400, 400, 0));
        }
    }

    @ParameterizedTest
    @EnumSource(ClientMode.class)
    void aServerThatClosesEveryConnectionEndsTheRunWithAnErrorForEach(ClientMode mode) throws Exception {
        TestEchoServer server = new TestEchoServer(TestEchoServer.Behaviour.ECHO);
        try (server; LoadClient client = LoadClient.connect(mode, LoadSpec.continuous(server.address(), 4, 512), TIMEOUT)) {
            client.start();
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (client.counters().responses() < 100 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(client.counters().responses()).isGreaterThanOrEqualTo(100);

            server.close();
            while (client.counters().errors() < 4 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            LoadCounters end = client.stop(Duration.ofSeconds(1));
            assertThat(end.errors()).isEqualTo(4);
            assertThat(client.firstError()).containsAnyOf("server closed the connection", "reset", "Broken pipe");
        }
    }

    /**
     * idle10k's connections: each had its echo and then waits, open, while the server is weighed. A server that drops
     * them then (here all at once) must show up as errors, or the memory of a server without its connections is
     * reported as theirs with 0 errors.
     */
    @ParameterizedTest
    @EnumSource(ClientMode.class)
    void aServerThatClosesIdleConnectionsAfterTheirQuotaCountsAnErrorForEach(ClientMode mode) throws Exception {
        TestEchoServer server = new TestEchoServer(TestEchoServer.Behaviour.ECHO);
        try (server; LoadClient client = LoadClient.connect(mode, new LoadSpec(server.address(), 4, 512, 1), TIMEOUT)) {
            client.start();
            assertThat(client.awaitQuotaDone(TIMEOUT)).isTrue();
            assertThat(client.counters()).isEqualTo(new LoadCounters(4, 4, 0));

            server.close();
            long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (client.counters().errors() < 4 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            LoadCounters end = client.stop(Duration.ofSeconds(1));
            assertThat(end.errors()).as("first error: %s", client.firstError()).isEqualTo(4);
            assertThat(client.firstError()).containsAnyOf("server closed the connection", "reset");
        }
    }

    @ParameterizedTest
    @EnumSource(ClientMode.class)
    void closingBeforeStartingSendsNothingAndReleasesEverything(ClientMode mode) throws Exception {
        try (TestEchoServer server = new TestEchoServer(TestEchoServer.Behaviour.ECHO)) {
            LoadClient client = LoadClient.connect(mode, LoadSpec.continuous(server.address(), 3, 512), TIMEOUT);
            client.close();
            client.close(); // idempotent

            assertThat(client.counters()).isEqualTo(new LoadCounters(0, 0, 0));
        }
    }
}
