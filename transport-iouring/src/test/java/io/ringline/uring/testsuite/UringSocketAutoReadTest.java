package io.ringline.uring.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.socket.SocketAutoReadTest;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

/** Netty's {@link SocketAutoReadTest} on Ringline, crossed with NIO both ways, on both read paths. */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // for test methods without their own: a hang fails, not stalls the run
public class UringSocketAutoReadTest extends SocketAutoReadTest {
    @Override
    protected List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return UringSocketTestPermutation.INSTANCE.socket();
    }
}
