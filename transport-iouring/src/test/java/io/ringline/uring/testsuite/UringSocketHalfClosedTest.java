package io.ringline.uring.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.socket.SocketHalfClosedTest;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.util.List;

/**
 * Netty's {@link SocketHalfClosedTest} on Ringline, crossed with NIO both ways, on both read paths. No timeout of our
 * own: the base class's 20 s per method applies.
 */
public class UringSocketHalfClosedTest extends SocketHalfClosedTest {
    @Override
    protected List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return UringSocketTestPermutation.INSTANCE.socket();
    }

    /**
     * The test's leader handler flushes a write in channelActive and then blocks its event loop until the peer has
     * received that write and closed. With io_uring a flush only prepares an SQE; the loop submits it when it gets
     * back to io_uring_enter(2), which the blocked loop never does: the peer never gets the data, and the loop stays
     * blocked for good (taking every later test that lands on it down too). A handler that blocks its loop is outside
     * Netty's contract; the test relies on NIO and epoll writing synchronously inside flush. Netty's own io_uring
     * transport disables this test for the same reason (IoUringSocketHalfClosedTest).
     */
    @Disabled("blocks the event loop after a flush and waits for the peer to get the data: io_uring submits only "
            + "when the loop runs again (deadlock); Netty's io_uring transport disables it too")
    @Test
    @Override
    public void testAutoCloseFalseDoesShutdownOutput(TestInfo testInfo) throws Throwable {
        super.testAutoCloseFalseDoesShutdownOutput(testInfo);
    }
}
