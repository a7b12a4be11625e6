package io.ringline.uring.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.socket.SocketSslSessionReuseTest;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Netty's {@link SocketSslSessionReuseTest} on Ringline, crossed with NIO both ways, on both read paths. */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // for test methods without their own: a hang fails, not stalls the run
public class UringSocketSslSessionReuseTest extends SocketSslSessionReuseTest {
    @Override
    protected List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return UringSocketTestPermutation.INSTANCE.socket();
    }

    /**
     * The base class's second parameter set asks for SslProvider.OPENSSL unconditionally, which needs netty-tcnative
     * (classes and a native library); the testsuite declares it optional, so it is not on this classpath: that set is
     * skipped rather than failing with NoClassDefFoundError. The JDK set runs as is.
     */
    @Override
    @ParameterizedTest(name = "{index}: serverEngine = {0}, clientEngine = {1}")
    @MethodSource("jdkAndOpenSSL")
    @Timeout(value = 30000, unit = TimeUnit.MILLISECONDS)
    public void testSslSessionTrustManagerResumption(
            SslContextBuilder serverCtx, SslContextBuilder clientCtx, TestInfo testInfo) throws Throwable {
        assumeTrue(canBuild(serverCtx), "this SslProvider needs netty-tcnative, which is not on the test classpath");
        super.testSslSessionTrustManagerResumption(serverCtx, clientCtx, testInfo);
    }

    private static boolean canBuild(SslContextBuilder builder) {
        try {
            SslContext context = builder.build();
            ReferenceCountUtil.release(context);
            return true;
        } catch (LinkageError e) { // NoClassDefFoundError, UnsatisfiedLinkError: no OpenSSL here
            return false;
        } catch (Exception e) {
            return true; // not an availability problem: let the test itself report it
        }
    }
}
