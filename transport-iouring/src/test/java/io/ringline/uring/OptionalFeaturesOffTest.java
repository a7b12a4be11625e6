package io.ringline.uring;

import io.ringline.uring.TransportTestSupport.Clients;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static io.ringline.uring.TransportTestSupport.assertRecovered;
import static io.ringline.uring.TransportTestSupport.assertSameBytes;
import static io.ringline.uring.TransportTestSupport.echoThrough;
import static io.ringline.uring.TransportTestSupport.payload;
import static io.ringline.uring.TransportTestSupport.seconds;
import static io.ringline.uring.TransportTestSupport.settledFdCount;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.argumentSet;

/**
 * Each optional io_uring feature forced off, and all of them at once, plus the one opt-in feature (registered
 * buffers) turned on: server and client still echo.
 */
class OptionalFeaturesOffTest {

    static Stream<Arguments> configs() {
        return Stream.of(
                argumentSet("multishotRecv off", new UringIoHandlerConfig().setMultishotRecv(false)),
                argumentSet("multishotAccept off", new UringIoHandlerConfig().setMultishotAccept(false)),
                argumentSet("bufferPool off", new UringIoHandlerConfig().setBufferPool(false)),
                argumentSet("registeredBuffers on", new UringIoHandlerConfig().setRegisteredBuffers(true)),
                argumentSet("deferTaskrun off", new UringIoHandlerConfig().setDeferTaskrun(false)),
                argumentSet("registeredRingFd off", new UringIoHandlerConfig().setRegisteredRingFd(false)),
                argumentSet("fixedFiles off", new UringIoHandlerConfig().setFixedFiles(0)),
                argumentSet("all off", new UringIoHandlerConfig().setMultishotRecv(false).setMultishotAccept(false)
                        .setBufferPool(false).setRegisteredBuffers(false).setDeferTaskrun(false)
                        .setRegisteredRingFd(false).setFixedFiles(0)));
    }

    @ParameterizedTest
    @MethodSource("configs")
    void echoes(UringIoHandlerConfig config) throws Exception {
        try (EchoServerFixture server = EchoServerFixture.ringline(config, 1, EchoServerFixture.EchoHandler.INSTANCE)) {
            EchoTest.assertEchoes(server, 64 * 1024);
            int fdBaseline = settledFdCount(Integer.MAX_VALUE, seconds(5));
            // Several accepts and receives at once.
            Clients clients = Clients.start(8, seed -> EchoTest.assertEchoes(server, 300_000));
            // A Ringline client on the same loop, with the same features off.
            byte[] data = payload(3, 1_000_000);
            assertSameBytes(echoThrough(server.group, UringSocketChannel.class, server.address(), data), data,
                    "echo to a Ringline client");
            assertThat(clients.join(seconds(30))).isEmpty();
            UringMetrics metrics = server.metrics();
            if (!config.isBufferPool()) {
                assertThat(metrics.poolSlots()).as("pool slots with the pool off: %s", metrics).isZero();
            }
            if (config.getFixedFiles() == 0) {
                assertThat(metrics.fixedFiles()).as("fixed files with them off: %s", metrics).isZero();
            }
            if (!config.isRegisteredBuffers()) {
                assertThat(metrics.fixedSends()).as("fixed sends with registration off: %s", metrics).isZero();
            } else if (config.isBufferPool()) {
                assertThat(metrics.fixedSends()).as("fixed sends with registration on: %s", metrics).isPositive();
            }
            assertRecovered(server, fdBaseline);
        }
    }
}
