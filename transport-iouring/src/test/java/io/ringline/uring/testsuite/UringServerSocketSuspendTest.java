package io.ringline.uring.testsuite;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapFactory;
import io.netty.testsuite.transport.socket.ServerSocketSuspendTest;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

/** Netty's {@link ServerSocketSuspendTest} on Ringline's server channel, on both read paths. */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // for test methods without their own: a hang fails, not stalls the run
public class UringServerSocketSuspendTest extends ServerSocketSuspendTest {
    @Override
    protected List<BootstrapFactory<ServerBootstrap>> newFactories() {
        return UringSocketTestPermutation.INSTANCE.serverSocket();
    }
}
