package io.ringline.uring;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoopGroup;
import io.ringline.uring.child.BindPrivilegedPortMain;
import io.ringline.uring.child.ChildJvm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketException;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.LOOPBACK;
import static io.ringline.uring.TransportTestSupport.loopback;
import static io.ringline.uring.TransportTestSupport.oneLoopGroup;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static io.ringline.uring.TransportTestSupport.socketChannelType;
import static io.ringline.uring.TransportTestSupport.uringGroup;
import static org.assertj.core.api.Assertions.assertThat;

/** Failed connects and binds surface as the exceptions Java's sockets throw, with the errno and the address. */
class ConnectAndBindErrorsTest {
    private final EventLoopGroup group = uringGroup(1);

    @AfterEach
    void shutdownGroup() {
        shutdown(group);
    }

    private Bootstrap client() {
        return new Bootstrap().group(group).channel(UringSocketChannel.class)
                .handler(new ChannelInboundHandlerAdapter());
    }

    /** A loopback port nothing listens on (it just stopped listening). */
    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, LOOPBACK)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void connectRefused() throws Exception {
        InetSocketAddress target = loopback(closedPort());
        ChannelFuture connect = client().connect(target);
        assertThat(connect.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(connect.cause()).isInstanceOf(ConnectException.class)
                .hasMessageContaining("ECONNREFUSED")
                .hasMessageContaining(target.getAddress().getHostAddress() + ":" + target.getPort());
        assertThat(connect.channel().closeFuture().await(5, TimeUnit.SECONDS)).as("closed").isTrue();
    }

    @Test
    void serverBindInUse() throws Exception {
        try (ServerSocket holder = new ServerSocket(0, 1, LOOPBACK)) {
            InetSocketAddress address = loopback(holder.getLocalPort());
            ChannelFuture bind = new ServerBootstrap().group(group).channel(UringServerSocketChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter())
                    .bind(address);
            assertThat(bind.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(bind.cause()).isInstanceOf(BindException.class)
                    .hasMessageContaining("EADDRINUSE")
                    .hasMessageContaining(String.valueOf(address.getPort()));
            assertThat(bind.channel().closeFuture().await(5, TimeUnit.SECONDS)).as("closed").isTrue();
        }
    }

    /**
     * An unprivileged bind below ip_unprivileged_port_start fails with EACCES, which Java's sockets (and so NIO) raise
     * as a BindException, as they do EADDRINUSE and EADDRNOTAVAIL: code that catches BindException to say "cannot
     * listen on that port" must catch this one too. Run in a child JVM as an unprivileged user (root may bind there).
     */
    @Test
    void bindToAPrivilegedPortUnprivilegedIsABindException() throws Exception {
        Assumptions.assumeTrue(ChildJvm.isRoot(), "creating an unprivileged test user needs root");
        ChildJvm.ensureUser();
        ChildJvm.Result result = ChildJvm.run(BindPrivilegedPortMain.class, 8192);
        assertThat(result.output()).as(result.output())
                .contains("nio BIND_EXCEPTION true")
                .contains("ringline BIND_EXCEPTION true")
                .contains("EACCES");
        assertThat(result.exitCode()).isZero();
    }

    @Test
    void clientBindInUse() throws Exception {
        try (ServerSocket target = new ServerSocket(0, 1, LOOPBACK);
             ServerSocket holder = new ServerSocket(0, 1, LOOPBACK)) {
            ChannelFuture connect = client().connect(loopback(target.getLocalPort()),
                    loopback(holder.getLocalPort()));
            assertThat(connect.await(10, TimeUnit.SECONDS)).isTrue();
            // As with NIO, Netty wraps a connect's SocketException into one that also names the remote address.
            assertThat(connect.cause()).isInstanceOf(SocketException.class)
                    .hasMessageContaining("EADDRINUSE")
                    .hasMessageContaining(String.valueOf(holder.getLocalPort()))
                    .hasRootCauseInstanceOf(BindException.class);
            assertThat(connect.channel().closeFuture().await(5, TimeUnit.SECONDS)).as("closed").isTrue();
        }
    }

    @Test
    void connectTimesOutAgainstAFullBacklog() throws Exception {
        // Only loopback targets are allowed, so no black-holed address: a listener with backlog 1 that never
        // accepts drops the SYNs of further connects once its accept queue is full, and those connects hang.
        try (ServerSocket listener = new ServerSocket(0, 1, LOOPBACK)) {
            InetSocketAddress target = loopback(listener.getLocalPort());
            List<SocketChannel> fillers = new ArrayList<>();
            try {
                Assumptions.assumeTrue(fillBacklog(target, fillers),
                        "connects to a listener with a full backlog completed anyway: nothing to time out");
                long start = System.nanoTime();
                ChannelFuture connect = client().option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 300).connect(target);
                assertThat(connect.await(10, TimeUnit.SECONDS)).isTrue();
                long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertThat(connect.cause()).isInstanceOf(ConnectTimeoutException.class)
                        .hasMessageContaining(String.valueOf(target.getPort()));
                assertThat(elapsedMillis).as("time to fail").isBetween(290L, 5_000L);
                Channel channel = connect.channel();
                assertThat(channel.closeFuture().await(5, TimeUnit.SECONDS)).as("closed").isTrue();
            } finally {
                for (SocketChannel filler : fillers) {
                    filler.close();
                }
            }
        }
    }

    @Test
    void cancellingAPendingConnectClosesTheChannel() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, LOOPBACK)) {
            InetSocketAddress target = loopback(listener.getLocalPort());
            List<SocketChannel> fillers = new ArrayList<>();
            try {
                Assumptions.assumeTrue(fillBacklog(target, fillers), "the backlog does not fill up here");
                ChannelFuture connect = client().connect(target);
                Thread.sleep(50);
                assertThat(connect.isDone()).isFalse();
                connect.channel().close();
                assertThat(connect.await(5, TimeUnit.SECONDS)).isTrue();
                assertThat(connect.isSuccess()).isFalse();
                assertThat(connect.channel().closeFuture().await(5, TimeUnit.SECONDS)).as("closed").isTrue();
            } finally {
                for (SocketChannel filler : fillers) {
                    filler.close();
                }
            }
        }
    }

    /**
     * Connects non-blocking sockets to {@code target} until one does not complete within 200 ms; returns whether
     * that happened (the last filler then hangs in the SYN-SENT state).
     */
    static boolean fillBacklog(InetSocketAddress target, List<SocketChannel> fillers) throws Exception {
        for (int i = 0; i < 16; i++) {
            SocketChannel filler = SocketChannel.open();
            fillers.add(filler);
            filler.configureBlocking(false);
            if (filler.connect(target)) {
                continue;
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
            boolean connected = false;
            while (System.nanoTime() < deadline && !(connected = filler.finishConnect())) {
                Thread.sleep(5);
            }
            if (!connected) {
                return true;
            }
        }
        return false;
    }

    /**
     * connect(0.0.0.0:port) to a server listening on 127.0.0.1 only: NIO (and Linux for an IPv4 or v4-mapped
     * destination) connects to 127.0.0.1. Ringline's dual-stack socket would send it to "::", the IPv6 wildcard (how it
     * binds 0.0.0.0), which goes to ::1, where nothing listens.
     */
    @ParameterizedTest
    @ValueSource(strings = {"nio", "ringline"})
    void connectToTheIpv4WildcardReachesAnIpv4LoopbackServer(String transport) throws Exception {
        EventLoopGroup group = oneLoopGroup(transport);
        try (ServerSocket listener = new ServerSocket(0, 50, LOOPBACK)) {
            ChannelFuture connect = new Bootstrap().group(group).channel(socketChannelType(transport))
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(new InetSocketAddress("0.0.0.0", listener.getLocalPort()));
            assertThat(connect.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(connect.cause()).as("connect failure").isNull();
            listener.accept().close();
            connect.channel().close().sync();
        } finally {
            shutdown(group);
        }
    }
}
