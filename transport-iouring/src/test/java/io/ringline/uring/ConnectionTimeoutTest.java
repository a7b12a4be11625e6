package io.ringline.uring;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.ringline.uring.linux.LibC;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.LOOPBACK;
import static io.ringline.uring.TransportTestSupport.oneLoopGroup;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static io.ringline.uring.TransportTestSupport.socketChannelType;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An established connection that times out (the peer stops opening its window: TCP_USER_TIMEOUT aborts it with
 * ETIMEDOUT, as a keepalive or retransmission timeout does on a real network). NIO reports a plain IOException
 * ("Connection timed out"); a java.net.ConnectException means "the connect failed", and code that catches it to
 * retry a connect would take this write/read failure for one.
 */
class ConnectionTimeoutTest {
    private static final int IPPROTO_TCP = 6;
    private static final int TCP_USER_TIMEOUT = 18;

    @ParameterizedTest
    @ValueSource(strings = {"nio", "ringline"})
    void aTimedOutConnectionIsNoConnectException(String transport) throws Exception {
        EventLoopGroup group = oneLoopGroup(transport);
        Queue<Throwable> caught = new ConcurrentLinkedQueue<>();
        try (ServerSocket listener = new ServerSocket()) {
            listener.setReceiveBufferSize(4096);
            listener.bind(new InetSocketAddress(LOOPBACK, 0), 1);
            Channel channel = new Bootstrap().group(group).channel(socketChannelType(transport))
                    .option(ChannelOption.SO_SNDBUF, 4096)
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                            caught.add(cause);
                            ctx.close();
                        }
                    })
                    .connect(new InetSocketAddress(LOOPBACK, listener.getLocalPort())).sync().channel();
            try (Socket peer = listener.accept()) { // never reads
                if (channel instanceof UringSocketChannel) {
                    channel.config().setOption(UringChannelOption.TCP_USER_TIMEOUT, 500);
                } else { // NIO has no such option: set it on its fd
                    setUserTimeout(fdOf(channel, listener.getLocalPort()), 500);
                }
                ChannelFuture write = channel.writeAndFlush(Unpooled.directBuffer(8 << 20).writeZero(8 << 20));
                assertThat(write.await(30, TimeUnit.SECONDS)).as("the write ends").isTrue();
                assertThat(write.cause()).as("the write fails").isNotNull();
                assertThat(channel.closeFuture().await(10, TimeUnit.SECONDS)).as("closed").isTrue();
                System.out.println(transport + ": write failed with " + write.cause() + "; exceptionCaught: " + caught);
                assertThat(write.cause()).as("write failure").isInstanceOf(IOException.class)
                        .isNotInstanceOf(ConnectException.class);
                for (Throwable t : caught) {
                    assertThat(t).as("exceptionCaught").isNotInstanceOf(ConnectException.class);
                }
            }
        } finally {
            shutdown(group);
        }
    }

    private static void setUserTimeout(int fd, int millis) {
        try (Arena arena = Arena.ofConfined()) {
            int ret = LibC.setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, arena.allocateFrom(JAVA_INT, millis), 4);
            assertThat(ret).as("setsockopt(TCP_USER_TIMEOUT)").isZero();
        }
    }

    /** The fd of NIO's connection, found through /proc by the connection's ports. */
    private static int fdOf(Channel channel, int remotePort) throws IOException {
        int localPort = ((InetSocketAddress) channel.localAddress()).getPort();
        String wanted = String.format(":%04X", localPort);
        String remote = String.format(":%04X", remotePort);
        String inode = null;
        for (String table : List.of("/proc/self/net/tcp", "/proc/self/net/tcp6")) {
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && f[1].endsWith(wanted) && f[2].endsWith(remote)) {
                    inode = f[9];
                }
            }
        }
        assertThat(inode).as("inode of the connection").isNotNull();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    if (Files.readSymbolicLink(fd).toString().equals("socket:[" + inode + "]")) {
                        return Integer.parseInt(fd.getFileName().toString());
                    }
                } catch (IOException ignored) {
                    // gone meanwhile
                }
            }
        }
        throw new AssertionError("no fd for socket inode " + inode);
    }
}
