package io.ringline.uring;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.await;
import static io.ringline.uring.TransportTestSupport.loopback;
import static io.ringline.uring.TransportTestSupport.payload;
import static io.ringline.uring.TransportTestSupport.seconds;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static io.ringline.uring.TransportTestSupport.uringGroup;
import static org.assertj.core.api.Assertions.assertThat;

/** WRITE_BUFFER_WATER_MARK under a reader that stalls, then drains. */
class WritabilityTest {
    private static final int CHUNK = 16 * 1024;
    private static final int TOTAL = 4 * 1024 * 1024;
    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

    private final EventLoopGroup group = uringGroup(1);

    @AfterEach
    void shutdownGroup() {
        shutdown(group);
    }

    /** Writes the stream while the channel is writable, and resumes when it becomes writable again. */
    static final class Pump extends ChannelInboundHandlerAdapter {
        final List<Boolean> writabilityChanges = new CopyOnWriteArrayList<>();
        final byte[] data = payload(9, TOTAL);
        volatile int written;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            pump(ctx.channel());
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            writabilityChanges.add(ctx.channel().isWritable());
            pump(ctx.channel());
        }

        private void pump(Channel channel) {
            while (channel.isWritable() && written < TOTAL) {
                channel.write(channel.alloc().directBuffer(CHUNK).writeBytes(data, written, CHUNK));
                written += CHUNK;
            }
            channel.flush();
        }
    }

    @Test
    void writabilityFlipsUnderASlowReaderAndBackWhenItDrains() throws Exception {
        try (ServerSocket listener = new ServerSocket()) {
            listener.setReceiveBufferSize(16 * 1024); // small kernel buffers: the stream cannot hide in them
            listener.bind(loopback(0), 50);
            Pump pump = new Pump();
            Channel client = new Bootstrap().group(group).channel(UringSocketChannel.class)
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                    .option(ChannelOption.SO_SNDBUF, 16 * 1024)
                    .handler(pump)
                    .connect(loopback(listener.getLocalPort())).sync().channel();
            try (Socket peer = listener.accept()) {
                await(() -> !pump.writabilityChanges.isEmpty(), seconds(10), "the channel to become unwritable");
                assertThat(pump.writabilityChanges.getFirst()).as("first change").isFalse();
                // The kernel's socket buffers take some of the stream first (the channel may flip back and forth
                // meanwhile); once they are full the channel stays unwritable while the reader stalls.
                int changes;
                do {
                    changes = pump.writabilityChanges.size();
                    Thread.sleep(300);
                } while (pump.writabilityChanges.size() != changes);
                assertThat(client.isWritable()).as("writable while the reader stalls").isFalse();
                assertThat(pump.writabilityChanges.getLast()).isFalse();
                assertThat(pump.written).as("bytes written while the reader stalls").isLessThan(TOTAL);

                byte[] received = new byte[TOTAL];
                InputStream in = peer.getInputStream();
                peer.setSoTimeout(10_000);
                int total = 0;
                while (total < TOTAL) {
                    int n = in.read(received, total, Math.min(8192, TOTAL - total)); // a slowish reader
                    assertThat(n).as("read at %d", total).isPositive();
                    total += n;
                }
                TransportTestSupport.assertSameBytes(received, pump.data, "what the reader received");
                assertThat(pump.writabilityChanges).as("writability changes").hasSizeGreaterThan(changes);
                // Changes alternate: false, true, false, true...
                for (int i = 0; i < pump.writabilityChanges.size(); i++) {
                    assertThat(pump.writabilityChanges.get(i)).as("change %d", i).isEqualTo(i % 2 == 1);
                }
                await(client::isWritable, seconds(5), "the channel to be writable once everything went out");
            } finally {
                client.close().await(5, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Each completed write queues the next one from its listener, which runs while the loop removes what a send
     * wrote; with small socket buffers sends are often partial. The stream must arrive intact and in order.
     */
    @Test
    void writesQueuedFromWriteListenersKeepTheStreamIntact() throws Exception {
        byte[] data = payload(10, TOTAL);
        class Chain extends ChannelInboundHandlerAdapter {
            int next;

            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                writeNext(ctx.channel());
                writeNext(ctx.channel());
            }

            private void writeNext(Channel channel) {
                if (next >= TOTAL) {
                    return;
                }
                int length = Math.min(CHUNK + 1000, TOTAL - next); // not aligned with anything
                channel.writeAndFlush(channel.alloc().directBuffer(length).writeBytes(data, next, length))
                        .addListener(f -> {
                            if (f.isSuccess()) {
                                writeNext(channel);
                            }
                        });
                next += length;
            }
        }
        try (ServerSocket listener = new ServerSocket()) {
            listener.setReceiveBufferSize(16 * 1024);
            listener.bind(loopback(0), 50);
            Channel client = new Bootstrap().group(group).channel(UringSocketChannel.class)
                    .option(ChannelOption.SO_SNDBUF, 16 * 1024)
                    .handler(new Chain())
                    .connect(loopback(listener.getLocalPort())).sync().channel();
            try (Socket peer = listener.accept()) {
                peer.setSoTimeout(10_000);
                byte[] received = peer.getInputStream().readNBytes(TOTAL);
                TransportTestSupport.assertSameBytes(received, data, "what the reader received");
            } finally {
                client.close().await(5, TimeUnit.SECONDS);
            }
        }
    }
}
