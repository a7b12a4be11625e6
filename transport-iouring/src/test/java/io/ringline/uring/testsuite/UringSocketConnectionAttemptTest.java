package io.ringline.uring.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapFactory;
import io.netty.testsuite.transport.socket.SocketConnectionAttemptTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** Netty's {@link SocketConnectionAttemptTest} on Ringline's client channel, on both read paths. */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // for test methods without their own: a hang fails, not stalls the run
public class UringSocketConnectionAttemptTest extends SocketConnectionAttemptTest {
    // The base class's defaults (SocketTestPermutation.BAD_HOST/BAD_PORT are package-private).
    private static final String BAD_HOST = System.getProperty("io.netty.testsuite.badHost", "198.51.100.254");
    private static final int BAD_PORT = Integer.getInteger("io.netty.testsuite.badPort", 65535);

    @Override
    protected List<BootstrapFactory<Bootstrap>> newFactories() {
        return UringSocketTestPermutation.INSTANCE.clientSocket();
    }

    /**
     * The test needs a connect that stays pending: it connects to a TEST-NET address that normally never answers. The
     * base class skips itself only when that connect is refused; on a network that completes every outbound TCP
     * connect (a transparent proxy, as in some sandboxes) the connect succeeds at once, for NIO too, and the test
     * fails with "must not succeed". Skip in that case as well. To run it there, point the system properties
     * {@code io.netty.testsuite.badHost}/{@code badPort} at an address that drops SYNs (a local listener whose accept
     * queue is full does).
     */
    @Test
    @Override
    public void testConnectCancellation(TestInfo testInfo) throws Throwable {
        assumeFalse(badHostAnswers(), "a TCP connect to " + BAD_HOST + ":" + BAD_PORT
                + " completes on this network (transparent proxy?): no connect stays pending to cancel");
        super.testConnectCancellation(testInfo);
    }

    private static boolean badHostAnswers() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(BAD_HOST, BAD_PORT), 500);
            return true;
        } catch (IOException e) {
            return false; // timed out (the normal case) or refused
        }
    }
}
