package io.ringline.uring;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.RecordingThreadFactory;
import static io.ringline.uring.TransportTestSupport.await;
import static io.ringline.uring.TransportTestSupport.loopback;
import static io.ringline.uring.TransportTestSupport.payload;
import static io.ringline.uring.TransportTestSupport.seconds;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static io.ringline.uring.TransportTestSupport.slowListener;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Closing, or shutting the output, while writes wait for a peer that does not read: the writes that did not go out
 * fail, every buffer is released, what the peer gets is an unbroken prefix of what was written, and the loop lives
 * on.
 */
class PendingWritesTest {
    private static final int CHUNK = 256 * 1024;
    private static final int CHUNKS = 32; // 8 MiB: far more than the socket buffers below hold

    private final RecordingThreadFactory threads = new RecordingThreadFactory();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, threads,
            UringIoHandler.newFactory());

    @AfterEach
    void shutdownGroup() {
        shutdown(group);
        assertThat(threads.uncaught).as("exceptions that escaped the loop").isEmpty();
    }

    private static byte[] stream() {
        return payload(42, CHUNK * CHUNKS);
    }

    /** Writes {@link #stream()} in chunks from the loop; returns each chunk's future and buffer. */
    private static List<ChannelFuture> writeAll(Channel channel, List<ByteBuf> buffers) throws Exception {
        byte[] data = stream();
        return channel.eventLoop().submit(() -> {
            List<ChannelFuture> futures = new ArrayList<>();
            for (int i = 0; i < CHUNKS; i++) {
                ByteBuf chunk = channel.alloc().directBuffer(CHUNK).writeBytes(data, i * CHUNK, CHUNK);
                buffers.add(chunk);
                futures.add(channel.write(chunk));
            }
            channel.flush();
            return futures;
        }).get(10, TimeUnit.SECONDS);
    }

    /** Reads until EOF or reset; asserts what arrived is the start of {@link #stream()}; returns its length. */
    private static int readPrefix(Socket peer) throws Exception {
        byte[] expected = stream();
        byte[] buffer = new byte[64 * 1024];
        int total = 0;
        InputStream in = peer.getInputStream();
        try {
            int n;
            while ((n = in.read(buffer)) > 0) {
                assertThat(total + n).as("bytes received").isLessThanOrEqualTo(expected.length);
                if (!Arrays.equals(buffer, 0, n, expected, total, total + n)) {
                    throw new AssertionError("the peer received bytes that were not written, at offset " + total);
                }
                total += n;
            }
        } catch (SocketException e) {
            // Connection reset: a close with unsent data may abort the connection. What came before still counts.
        }
        return total;
    }

    private static void assertReleased(List<ByteBuf> buffers) {
        for (int i = 0; i < buffers.size(); i++) {
            assertThat(buffers.get(i).refCnt()).as("refCnt of chunk %d", i).isZero();
        }
    }

    private Channel connectSlowClient(ServerSocket listener) throws InterruptedException {
        return new Bootstrap().group(group).channel(UringSocketChannel.class)
                .option(ChannelOption.SO_SNDBUF, 16 * 1024)
                .handler(new ChannelInboundHandlerAdapter())
                .connect(loopback(listener.getLocalPort())).sync().channel();
    }

    @Test
    void closeWithWritesPendingFailsThemAndReleasesEveryBuffer() throws Exception {
        try (ServerSocket listener = slowListener()) {
            Channel client = connectSlowClient(listener);
            try (Socket peer = listener.accept()) {
                List<ByteBuf> buffers = new ArrayList<>();
                List<ChannelFuture> writes = writeAll(client, buffers);
                Thread.sleep(100); // a send is parked in the kernel, waiting for room
                assertThat(client.isWritable()).isFalse();
                assertThat(client.close().await(10, TimeUnit.SECONDS)).as("closed").isTrue();
                for (ChannelFuture write : writes) {
                    assertThat(write.await(10, TimeUnit.SECONDS)).as("write done").isTrue();
                }
                long failed = writes.stream().filter(f -> !f.isSuccess()).count();
                assertThat(failed).as("writes failed by the close").isGreaterThan(CHUNKS / 2);
                assertThat(writes.get(CHUNKS - 1).cause()).isNotNull();
                assertReleased(buffers);
                int received = readPrefix(peer);
                assertThat(received).as("bytes the peer got").isLessThan(CHUNK * CHUNKS);
            }
        }
        assertLoopAlive();
    }

    /**
     * A close() waits a ring round trip for the send in flight (to count what it got out); a loop that shuts down
     * right after, in the same task, gives it none: the channel still closes, its writes fail and every buffer goes
     * back.
     */
    @Test
    void aCloseWaitingForItsSendStillClosesWhenTheLoopShutsDownRightAfter() throws Exception {
        try (ServerSocket listener = slowListener()) {
            Channel client = connectSlowClient(listener);
            try (Socket peer = listener.accept()) {
                List<ByteBuf> buffers = new ArrayList<>();
                List<ChannelFuture> writes = writeAll(client, buffers);
                Thread.sleep(100); // a send is parked in the kernel, waiting for room
                client.eventLoop().execute(() -> {
                    client.close();
                    group.shutdownGracefully(0, 5, TimeUnit.SECONDS);
                });
                assertThat(group.awaitTermination(10, TimeUnit.SECONDS)).as("the loop ended").isTrue();
                assertThat(client.closeFuture().isDone()).as("closed").isTrue();
                for (ChannelFuture write : writes) {
                    assertThat(write.isDone()).as("write done").isTrue();
                }
                assertThat(writes.get(CHUNKS - 1).cause()).isNotNull();
                assertReleased(buffers);
            }
        }
    }

    @Test
    void shutdownOutputWithAStalledSendCompletesAndFailsWhatDidNotGoOut() throws Exception {
        try (ServerSocket listener = slowListener()) {
            SocketChannel client = (SocketChannel) connectSlowClient(listener);
            try (Socket peer = listener.accept()) {
                List<ByteBuf> buffers = new ArrayList<>();
                List<ChannelFuture> writes = writeAll(client, buffers);
                Thread.sleep(100);
                ChannelFuture shutdown = client.shutdownOutput();
                assertThat(shutdown.await(10, TimeUnit.SECONDS)).as("shutdownOutput done").isTrue();
                assertThat(shutdown.isSuccess()).as("shutdownOutput succeeded: %s", shutdown.cause()).isTrue();
                assertThat(client.isOutputShutdown()).isTrue();
                assertThat(client.isOpen()).isTrue();
                assertThat(writes.get(CHUNKS - 1).await(10, TimeUnit.SECONDS)).isTrue();
                assertThat(writes.get(CHUNKS - 1).cause()).isNotNull();
                assertReleased(buffers);
                // The peer reads an unbroken prefix, then EOF: the output was shut, not the connection reset.
                long acknowledged = writes.stream().filter(ChannelFuture::isSuccess).count();
                int received = readPrefix(peer);
                assertThat(received).isGreaterThanOrEqualTo((int) acknowledged * CHUNK).isLessThan(CHUNK * CHUNKS);
            }
            client.close().sync();
        }
        assertLoopAlive();
    }

    @Test
    void ourServerClosesAChildWithPooledEchoesPending() throws Exception {
        // The client writes and never reads: the echoes, which are the loop's pool slots, queue up on the server.
        CompletableFuture<Channel> child = new CompletableFuture<>();
        try (EchoServerFixture server = EchoServerFixture.ringline(new UringIoHandlerConfig(), 1,
                new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.config().setOption(ChannelOption.SO_SNDBUF, 16 * 1024);
                        ch.pipeline().addLast(EchoServerFixture.EchoHandler.INSTANCE);
                        child.complete(ch);
                    }
                });
             Socket peer = new Socket()) {
            peer.setReceiveBufferSize(16 * 1024);
            peer.connect(server.address());
            byte[] data = stream();
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    peer.getOutputStream().write(data);
                } catch (IOException e) {
                    // The server closed the connection under the write: expected.
                }
            });
            Channel channel = child.get(10, TimeUnit.SECONDS);
            await(() -> !channel.isWritable(), seconds(10), "echoes to queue up on the server");
            assertThat(server.metrics().slotsInUse()).as("pool slots held by queued echoes").isPositive();
            channel.close().sync();
            writer.join(10_000);
            await(() -> server.metrics().slotsInUse() == 0, seconds(5), "every pool slot back");
        }
    }

    /** The loop still serves connections after all that. */
    private void assertLoopAlive() throws Exception {
        try (EchoServerFixture server = EchoServerFixture.nio()) {
            byte[] request = payload(7, 1000);
            TransportTestSupport.assertSameBytes(TransportTestSupport.echoThrough(group, UringSocketChannel.class,
                    server.address(), request), request, "echo after the close");
        }
    }
}
