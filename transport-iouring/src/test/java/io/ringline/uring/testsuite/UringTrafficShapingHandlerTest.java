package io.ringline.uring.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.socket.TrafficShapingHandlerTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Netty's {@link TrafficShapingHandlerTest} on Ringline, crossed with NIO both ways, on both read paths.
 *
 * <p>The two auto-read tests pace themselves (about 1 s per combination by design) and carry a 10 s timeout for the
 * whole method, sized for the few combinations Netty's own transports run; with our six combinations times two
 * allocators they need about 12 s, so they get 30 s here. Nothing else about them changes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // for test methods without their own: a hang fails, not stalls the run
public class UringTrafficShapingHandlerTest extends TrafficShapingHandlerTest {
    @Override
    protected List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return UringSocketTestPermutation.INSTANCE.socket();
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    @Override
    public void testAutoReadTrafficShapping(TestInfo testInfo) throws Throwable {
        super.testAutoReadTrafficShapping(testInfo);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    @Override
    public void testAutoReadGlobalTrafficShapping(TestInfo testInfo) throws Throwable {
        super.testAutoReadGlobalTrafficShapping(testInfo);
    }
}
