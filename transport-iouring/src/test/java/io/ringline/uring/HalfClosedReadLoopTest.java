package io.ringline.uring;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.assertSameBytes;
import static io.ringline.uring.TransportTestSupport.loopback;
import static io.ringline.uring.TransportTestSupport.payload;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a peer sent before it shut its output down is read to the end whatever AUTO_READ says (as epoll's
 * receivedRdHup), but still in read loops of at most MaxMessagesPerRead reads, each ending with channelReadComplete,
 * as with NIO and epoll: a handler that flushes or decodes in channelReadComplete must not see the whole backlog as
 * one read loop. Runs on NIO too.
 */
class HalfClosedReadLoopTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nio", "ringline", "ringline-allocator"})
    void readsAfterThePeersHalfClosureComeInBoundedReadLoops(String transport) throws Exception {
        int maxMessagesPerRead = 4;
        byte[] data = payload(11, 256 * 1024);
        boolean nio = transport.equals("nio");
        EventLoopGroup group = transport.equals("ringline-allocator")
                ? TransportTestSupport.uringGroup(1, new UringIoHandlerConfig().setBufferPool(false))
                : TransportTestSupport.oneLoopGroup(transport);
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        CompletableFuture<Channel> accepted = new CompletableFuture<>();
        CompletableFuture<Void> closed = new CompletableFuture<>();
        int[] readsInLoop = new int[1];
        int[] mostReadsInOneLoop = new int[1];
        try {
            Channel server = new ServerBootstrap().group(group)
                    .channel(TransportTestSupport.serverChannelType(nio ? "nio" : "ringline"))
                    .option(ChannelOption.SO_RCVBUF, 1024 * 1024) // accepted sockets inherit it: the whole payload fits
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.MAX_MESSAGES_PER_READ, maxMessagesPerRead)
                    .childOption(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(1024))
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            accepted.complete(ctx.channel());
                        }

                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ByteBuf buffer = (ByteBuf) msg;
                            byte[] bytes = new byte[buffer.readableBytes()];
                            buffer.readBytes(bytes);
                            ReferenceCountUtil.release(msg);
                            received.writeBytes(bytes);
                            mostReadsInOneLoop[0] = Math.max(mostReadsInOneLoop[0], ++readsInLoop[0]);
                        }

                        @Override
                        public void channelReadComplete(ChannelHandlerContext ctx) {
                            readsInLoop[0] = 0;
                        }

                        @Override
                        public void channelInactive(ChannelHandlerContext ctx) {
                            closed.complete(null);
                        }
                    }).bind(loopback(0)).sync().channel();
            try (Socket peer = new Socket()) {
                peer.connect(server.localAddress());
                Channel child = accepted.get(5, TimeUnit.SECONDS);
                peer.getOutputStream().write(data);
                peer.shutdownOutput();
                Thread.sleep(200); // the data and the FIN are in; Ringline notices the half-closure and reads on
                child.config().setAutoRead(true);
                closed.get(10, TimeUnit.SECONDS); // without ALLOW_HALF_CLOSURE, the end of stream closes it
                child.eventLoop().submit(() -> { }).get(5, TimeUnit.SECONDS);
                assertSameBytes(received.toByteArray(), data, "received");
                assertThat(mostReadsInOneLoop[0]).as("channelReads between two channelReadCompletes")
                        .isLessThanOrEqualTo(maxMessagesPerRead);
            } finally {
                server.close().sync();
            }
        } finally {
            shutdown(group);
        }
    }
}
