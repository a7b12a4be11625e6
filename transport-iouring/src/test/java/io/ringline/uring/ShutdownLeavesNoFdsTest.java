package io.ringline.uring;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.LOOPBACK;
import static io.ringline.uring.TransportTestSupport.RecordingThreadFactory;
import static io.ringline.uring.TransportTestSupport.loopback;
import static io.ringline.uring.TransportTestSupport.openFds;
import static org.assertj.core.api.Assertions.assertThat;

/** Shutting groups down with channels still open closes every socket, ring and eventfd they had. */
class ShutdownLeavesNoFdsTest {
    private static final int CLIENTS = 5;

    @Test
    void shuttingDownGroupsWithOpenChannelsLeavesNoFdBehind() throws Exception {
        // The first run opens what the JDK opens lazily (jar files, /dev/random...), so only the second one counts.
        runOpenChannelsThenShutDown();
        Map<Integer, String> before = settledFds(null);
        for (int i = 0; i < 3; i++) { // the shutdown races below are a matter of timing: give them a few chances
            runOpenChannelsThenShutDown();
        }
        Map<Integer, String> after = settledFds(before);
        Map<String, String> changed = new TreeMap<>();
        Map<String, Integer> kindsBefore = kinds(before);
        Map<String, Integer> kindsAfter = kinds(after);
        for (String kind : union(kindsBefore.keySet(), kindsAfter.keySet())) {
            int was = kindsBefore.getOrDefault(kind, 0);
            int is = kindsAfter.getOrDefault(kind, 0);
            if (was != is) {
                changed.put(kind, was + " -> " + is);
            }
        }
        assertThat(changed).as("open fds whose count changed, by kind").isEmpty();
    }

    /**
     * A Ringline server on two loops with five connected Ringline clients on another loop, and one client still
     * connecting (to a listener whose backlog is full); then both groups shut down as they are, with no quiet period.
     * The client loop is often busy with the last connect's tasks when its shutdown arrives, and then Netty's loop
     * ends without calling prepareToDestroy(): the handler has to close its channels some other way.
     */
    private static void runOpenChannelsThenShutDown() throws Exception {
        RecordingThreadFactory threads = new RecordingThreadFactory();
        EventLoopGroup serverGroup = new MultiThreadIoEventLoopGroup(2, threads,
                UringIoHandler.newFactory());
        EventLoopGroup clientGroup = new MultiThreadIoEventLoopGroup(1, threads,
                UringIoHandler.newFactory());
        List<SocketChannel> fillers = new ArrayList<>();
        try (ServerSocket fullListener = new ServerSocket(0, 1, LOOPBACK)) {
            Channel server = new ServerBootstrap().group(serverGroup).channel(UringServerSocketChannel.class)
                    .childHandler(EchoServerFixture.EchoHandler.INSTANCE)
                    .bind(loopback(0)).sync().channel();
            List<Channel> channels = new ArrayList<>();
            channels.add(server);
            for (int i = 0; i < CLIENTS; i++) {
                TransportTestSupport.ByteCollector collector = new TransportTestSupport.ByteCollector(5);
                Channel client = new Bootstrap().group(clientGroup).channel(UringSocketChannel.class)
                        .handler(collector)
                        .connect(server.localAddress()).sync().channel();
                client.writeAndFlush(Unpooled.copiedBuffer(new byte[] {1, 2, 3, 4, 5}));
                assertThat(collector.received.get(10, TimeUnit.SECONDS)).hasSize(5); // accepted and serving
                channels.add(client);
            }
            InetSocketAddress full = loopback(fullListener.getLocalPort());
            ChannelFuture pendingConnect = null;
            if (ConnectAndBindErrorsTest.fillBacklog(full, fillers)) {
                pendingConnect = new Bootstrap().group(clientGroup).channel(UringSocketChannel.class)
                        .handler(new ChannelInboundHandlerAdapter())
                        .connect(full);
                channels.add(pendingConnect.channel());
            }

            serverGroup.shutdownGracefully(0, 5, TimeUnit.SECONDS);
            clientGroup.shutdownGracefully(0, 5, TimeUnit.SECONDS);
            assertThat(serverGroup.terminationFuture().await(10, TimeUnit.SECONDS)).as("server group ended").isTrue();
            assertThat(clientGroup.terminationFuture().await(10, TimeUnit.SECONDS)).as("client group ended").isTrue();
            for (Channel channel : channels) {
                assertThat(channel.closeFuture().await(5, TimeUnit.SECONDS)).as("%s closed", channel).isTrue();
            }
            if (pendingConnect != null) {
                assertThat(pendingConnect.await(5, TimeUnit.SECONDS)).as("pending connect done").isTrue();
                assertThat(pendingConnect.isSuccess()).as("pending connect succeeded").isFalse();
            }
        } finally {
            for (SocketChannel filler : fillers) {
                filler.close();
            }
        }
        assertThat(threads.uncaught).as("exceptions that escaped the loop threads").isEmpty();
    }

    /**
     * The process's fds once they stop changing: collects garbage (fds the JDK closes through cleaners) and waits a
     * little. With {@code expected}, waits up to 5 s for the counts by kind to come back to its counts.
     */
    private static Map<Integer, String> settledFds(Map<Integer, String> expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        Map<Integer, String> previous = null;
        while (true) {
            System.gc();
            Thread.sleep(50);
            Map<Integer, String> fds = openFds();
            boolean stable = fds.equals(previous);
            boolean matches = expected == null ? stable : kinds(fds).equals(kinds(expected));
            if (matches || System.nanoTime() > deadline) {
                return fds;
            }
            previous = fds;
        }
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> union = new TreeSet<>(a);
        union.addAll(b);
        return union;
    }

    /** How many fds of each kind: socket, anon_inode:[io_uring], anon_inode:[eventfd], pipe, a file path... */
    private static Map<String, Integer> kinds(Map<Integer, String> fds) {
        Map<String, Integer> kinds = new TreeMap<>();
        for (String target : fds.values()) {
            String kind = target.startsWith("socket:") ? "socket" : target.startsWith("pipe:") ? "pipe" : target;
            kinds.merge(kind, 1, Integer::sum);
        }
        return kinds;
    }
}
