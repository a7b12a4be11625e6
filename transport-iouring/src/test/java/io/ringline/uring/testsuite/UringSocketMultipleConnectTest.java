package io.ringline.uring.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.socket.SocketMultipleConnectTest;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Netty's {@link SocketMultipleConnectTest}: a second connect of a connected Ringline client fails with
 * AlreadyConnectedException.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // for test methods without their own: a hang fails, not stalls the run
public class UringSocketMultipleConnectTest extends SocketMultipleConnectTest {
    /** The base class keeps NIO clients only; here: the combinations whose client is Ringline's. */
    @Override
    protected List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return UringSocketTestPermutation.INSTANCE.socket().stream()
                .filter(combo -> UringSocketTestPermutation.isRingline(combo.newClientInstance().config().group()))
                .toList();
    }
}
