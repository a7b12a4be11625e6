package io.ringline.uring;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.ringline.uring.TransportTestSupport.RecordingThreadFactory;
import static io.ringline.uring.TransportTestSupport.assertSameBytes;
import static io.ringline.uring.TransportTestSupport.await;
import static io.ringline.uring.TransportTestSupport.loopback;
import static io.ringline.uring.TransportTestSupport.payload;
import static io.ringline.uring.TransportTestSupport.seconds;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sends of several buffers at once (SENDMSG, whose iovecs and msghdr the loop lays out in its scratch area): many of
 * them in one loop pass, and buffers of more parts than one send takes.
 */
class GatheringWritesTest {
    private final RecordingThreadFactory threads = new RecordingThreadFactory();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, threads, UringIoHandler.newFactory());

    @AfterEach
    void shutdownGroup() {
        shutdown(group);
        assertThat(threads.uncaught).as("exceptions that escaped the loop").isEmpty();
    }

    /**
     * 500 two-buffer sends prepared in one pass need more scratch than the area holds, so it is handed out again from
     * its start after a submit. A send's iovecs and its msghdr must come from one request: when the area wrapped
     * between them, the iovecs went unsubmitted and later sends of the pass overwrote them.
     */
    @Test
    void everyGatheringSendOfOnePassSendsItsOwnBytes() throws Exception {
        int connections = 500;
        EventLoopGroup servers = TransportTestSupport.uringGroup(1);
        try {
            Map<Channel, ByteArrayOutputStream> received = new ConcurrentHashMap<>();
            AtomicInteger complete = new AtomicInteger();
            Channel server = new ServerBootstrap().group(servers).channel(UringServerSocketChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ByteBuf buffer = (ByteBuf) msg;
                            ByteArrayOutputStream bytes = received.computeIfAbsent(ctx.channel(),
                                    c -> new ByteArrayOutputStream());
                            int before = bytes.size();
                            byte[] chunk = new byte[buffer.readableBytes()];
                            buffer.readBytes(chunk);
                            ReferenceCountUtil.release(msg);
                            bytes.writeBytes(chunk);
                            if (before < 16 && bytes.size() >= 16) {
                                complete.incrementAndGet();
                            }
                        }

                        @Override
                        public boolean isSharable() {
                            return true;
                        }
                    }).bind(loopback(0)).sync().channel();
            List<Channel> channels = new ArrayList<>();
            for (int c = 0; c < connections; c++) {
                channels.add(new Bootstrap().group(group).channel(UringSocketChannel.class)
                        .handler(new ChannelInboundHandlerAdapter())
                        .connect(server.localAddress()).sync().channel());
            }
            group.next().submit(() -> {
                for (int c = 0; c < connections; c++) {
                    Channel channel = channels.get(c);
                    byte[] bytes = sixteenBytesOf(c);
                    channel.write(channel.alloc().directBuffer(8).writeBytes(bytes, 0, 8));
                    channel.writeAndFlush(channel.alloc().directBuffer(8).writeBytes(bytes, 8, 8));
                }
            }).get(10, TimeUnit.SECONDS);
            await(() -> complete.get() == connections, seconds(10), "16 bytes on every connection");

            Set<String> expected = new HashSet<>();
            for (int c = 0; c < connections; c++) {
                expected.add(HexFormat.of().formatHex(sixteenBytesOf(c)));
            }
            List<String> wrong = new ArrayList<>();
            for (ByteArrayOutputStream bytes : received.values()) {
                String hex = HexFormat.of().formatHex(bytes.toByteArray());
                if (!expected.remove(hex)) {
                    wrong.add(hex);
                }
            }
            assertThat(wrong).as("connections that received bytes nobody wrote to them").isEmpty();
            for (Channel channel : channels) {
                channel.close().sync();
            }
            server.close().sync();
        } finally {
            shutdown(servers);
        }
    }

    /** Connection {@code c}'s bytes, different for every connection. */
    private static byte[] sixteenBytesOf(int c) {
        return ByteBuffer.allocate(16).putInt(c).putInt(~c).putLong(c * 0x9E3779B97F4A7C15L).array();
    }

    /** A direct buffer of 100 parts, more than the 64 iovecs one send takes, goes out in several sends, intact. */
    @Test
    void aBufferOfMorePartsThanOneSendTakesArrivesIntact() throws Exception {
        writeCompositeOfManyParts(false);
    }

    /** The same buffer first among several flushed together: it goes out a prefix at a time, then the rest. */
    @Test
    void aBufferOfMorePartsThanOneSendTakesArrivesIntactAheadOfAnother() throws Exception {
        writeCompositeOfManyParts(true);
    }

    private void writeCompositeOfManyParts(boolean anotherBufferInTheSameFlush) throws Exception {
        int parts = 100;
        int partSize = 100;
        byte[] data = payload(7, parts * partSize);
        try (ServerSocket listener = new ServerSocket()) {
            listener.bind(loopback(0));
            Channel client = new Bootstrap().group(group).channel(UringSocketChannel.class)
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(loopback(listener.getLocalPort())).sync().channel();
            try (Socket peer = listener.accept()) {
                ChannelFuture write = client.eventLoop().submit(() -> {
                    CompositeByteBuf composite = Unpooled.compositeBuffer(Integer.MAX_VALUE);
                    for (int i = 0; i < parts; i++) {
                        composite.addComponent(true, Unpooled.directBuffer(partSize).writeBytes(data, i * partSize, partSize));
                    }
                    ChannelFuture future = client.write(composite);
                    if (anotherBufferInTheSameFlush) {
                        client.write(Unpooled.directBuffer(1).writeByte(1));
                    }
                    client.flush();
                    return future;
                }).get(5, TimeUnit.SECONDS);
                int expected = data.length + (anotherBufferInTheSameFlush ? 1 : 0);
                peer.setSoTimeout(5000);
                byte[] got = peer.getInputStream().readNBytes(expected); // fewer if the channel closed on an error
                assertThat(write.await(5, TimeUnit.SECONDS)).as("the write completed").isTrue();
                assertThat(write.isSuccess()).as("the write succeeded: %s", write.cause()).isTrue();
                assertThat(got).hasSize(expected);
                assertSameBytes(Arrays.copyOf(got, data.length), data, "received");
                client.close().sync();
                assertThat(peer.getInputStream().readAllBytes()).as("bytes beyond those written").isEmpty();
            }
        }
    }
}
