package io.ringline.uring;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.await;
import static io.ringline.uring.TransportTestSupport.loopback;
import static io.ringline.uring.TransportTestSupport.oneLoopGroup;
import static io.ringline.uring.TransportTestSupport.readUntilEndOrReset;
import static io.ringline.uring.TransportTestSupport.seconds;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static io.ringline.uring.TransportTestSupport.slowListener;
import static io.ringline.uring.TransportTestSupport.socketChannelType;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * close() and shutdownOutput() wait a ring round trip for the send in flight, to count what it got out: the events,
 * promises and bytes must still be NIO's, also when the channel leaves its loop meanwhile or both wait. (A close
 * waiting for a send left on a loop that ends: MovingChannelsTest.)
 */
class ClosingWhileSendingTest {

    /** Records channelInactive and channelUnregistered in order. */
    private static final class Events extends ChannelInboundHandlerAdapter {
        final List<String> seen = new CopyOnWriteArrayList<>();

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            seen.add("inactive");
            ctx.fireChannelInactive();
        }

        @Override
        public void channelUnregistered(ChannelHandlerContext ctx) {
            seen.add("unregistered");
            ctx.fireChannelUnregistered();
        }
    }

    /** A client with a 16 KiB send buffer, connected to {@code listener} (a slowListener): its sends stall at once. */
    private static Channel connectWithSmallSendBuffer(EventLoopGroup group, String transport, ChannelHandler handler,
                                                      ServerSocket listener) throws InterruptedException {
        return new Bootstrap().group(group).channel(socketChannelType(transport))
                .option(ChannelOption.SO_SNDBUF, 16 * 1024)
                .handler(handler)
                .connect(loopback(listener.getLocalPort())).sync().channel();
    }

    /** Writes 8 MiB the peer never reads: the send stays in flight. */
    private static ChannelFuture stalledWrite(Channel client) throws InterruptedException {
        ChannelFuture write = client.writeAndFlush(client.alloc().directBuffer(8 << 20).writeZero(8 << 20));
        Thread.sleep(200);
        assertThat(write.isDone()).as("the write is stalled").isFalse();
        return write;
    }

    /**
     * close() with a stalled send in flight, then deregister() in the same task: the close cannot wait for the send
     * (its completion goes to the ring the channel leaves) and runs as the channel leaves; channelInactive still fires,
     * before channelUnregistered, as with NIO.
     */
    @ParameterizedTest
    @ValueSource(strings = {"nio", "ringline"})
    void closeThenDeregisterWithASendInFlightFiresChannelInactive(String transport) throws Exception {
        EventLoopGroup group = oneLoopGroup(transport);
        Events events = new Events();
        try (ServerSocket listener = slowListener()) {
            Channel client = connectWithSmallSendBuffer(group, transport, events, listener);
            try (Socket peer = listener.accept()) { // never reads
                stalledWrite(client);
                client.eventLoop().submit(() -> {
                    client.close();
                    client.deregister();
                }).get(5, TimeUnit.SECONDS);
                assertThat(client.closeFuture().await(5, TimeUnit.SECONDS)).as("closed").isTrue();
                await(() -> events.seen.contains("unregistered"), seconds(5), "channelUnregistered");
                Thread.sleep(200); // anything still queued on the loop
                assertThat(events.seen).containsExactly("inactive", "unregistered");
            }
        } finally {
            shutdown(group);
        }
    }

    /**
     * writeAndFlush(a); shutdownOutput(); writeAndFlush(b) in one task: with NIO the output is shut before b is
     * written, so b fails and the peer gets a, then EOF. Ringline's shutdownOutput() waits for a's send; b, written
     * meanwhile, must fail all the same, not go out after a.
     */
    @ParameterizedTest
    @ValueSource(strings = {"nio", "ringline"})
    void aWriteAfterShutdownOutputIsNotSent(String transport) throws Exception {
        EventLoopGroup group = oneLoopGroup(transport);
        try (ServerSocket listener = new ServerSocket(0, 50, TransportTestSupport.LOOPBACK)) {
            SocketChannel client = (SocketChannel) new Bootstrap().group(group).channel(socketChannelType(transport))
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(listener.getLocalSocketAddress()).sync().channel();
            try (Socket peer = listener.accept()) {
                ChannelFuture[] futures = client.eventLoop().submit(() -> {
                    ChannelFuture a = client.writeAndFlush(client.alloc().directBuffer(100).writeZero(100));
                    ChannelFuture shut = client.shutdownOutput();
                    ChannelFuture b = client.writeAndFlush(client.alloc().directBuffer(100).writeZero(100));
                    return new ChannelFuture[] {a, shut, b};
                }).get(5, TimeUnit.SECONDS);
                for (ChannelFuture f : futures) {
                    assertThat(f.await(5, TimeUnit.SECONDS)).isTrue();
                }
                peer.setSoTimeout(5000);
                byte[] got = readUntilEndOrReset(peer);
                assertThat(futures[0].isSuccess()).as("a written").isTrue();
                assertThat(futures[1].isSuccess()).as("shutdownOutput: %s", futures[1].cause()).isTrue();
                assertThat(got.length).as("bytes the peer got before EOF").isEqualTo(100);
                assertThat(futures[2].isSuccess()).as("b, written after shutdownOutput(), succeeded").isFalse();
            } finally {
                client.close().sync();
            }
        } finally {
            shutdown(group);
        }
    }

    /**
     * writeAndFlush(big, stalled); shutdownOutput(); close(): NIO shuts the output down at once, so the shutdownOutput
     * future succeeds before close() runs. With Ringline both wait for the send in flight, and both must succeed.
     */
    @ParameterizedTest
    @ValueSource(strings = {"nio", "ringline"})
    void shutdownOutputThenCloseWithASendInFlightSucceeds(String transport) throws Exception {
        EventLoopGroup group = oneLoopGroup(transport);
        try (ServerSocket listener = slowListener()) {
            SocketChannel client = (SocketChannel) connectWithSmallSendBuffer(group, transport,
                    new ChannelInboundHandlerAdapter(), listener);
            try (Socket peer = listener.accept()) { // never reads
                stalledWrite(client);
                ChannelFuture shut = client.eventLoop().submit(() -> {
                    ChannelFuture f = client.shutdownOutput();
                    client.close();
                    return f;
                }).get(5, TimeUnit.SECONDS);
                assertThat(client.closeFuture().await(5, TimeUnit.SECONDS)).isTrue();
                assertThat(shut.await(5, TimeUnit.SECONDS)).isTrue();
                assertThat(shut.isSuccess()).as("shutdownOutput: %s", shut.cause()).isTrue();
            }
        } finally {
            shutdown(group);
        }
    }

    /**
     * close() with a stalled send in flight, then closeForcibly() (Bootstrap and Netty's own code call it on failed
     * registrations, user code may too) in the same task: with NIO the close is done at once; with Ringline it waits
     * for the send, and the forced close must neither strand it nor skip channelInactive.
     */
    @ParameterizedTest
    @ValueSource(strings = {"nio", "ringline"})
    void closeForciblyWhileACloseWaitsForTheSendStillCompletesTheClose(String transport) throws Exception {
        EventLoopGroup group = oneLoopGroup(transport);
        Events events = new Events();
        try (ServerSocket listener = slowListener()) {
            Channel client = connectWithSmallSendBuffer(group, transport, events, listener);
            try (Socket peer = listener.accept()) { // never reads
                ChannelFuture write = stalledWrite(client);
                ChannelFuture close = client.eventLoop().submit(() -> {
                    ChannelFuture f = client.close();
                    client.unsafe().closeForcibly();
                    return f;
                }).get(5, TimeUnit.SECONDS);
                assertThat(close.await(5, TimeUnit.SECONDS)).as("the close completes").isTrue();
                assertThat(client.closeFuture().await(5, TimeUnit.SECONDS)).as("closeFuture").isTrue();
                assertThat(write.await(5, TimeUnit.SECONDS)).as("the write completes").isTrue();
                assertThat(write.isSuccess()).as("the stalled write succeeded").isFalse();
                await(() -> events.seen.contains("unregistered"), seconds(5), "channelUnregistered");
                assertThat(events.seen).containsExactly("inactive", "unregistered");
                peer.setSoTimeout(5000);
                readUntilEndOrReset(peer); // the socket is closed: the peer reads to its end
            }
        } finally {
            shutdown(group);
        }
    }
}
