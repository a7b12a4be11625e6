package io.ringline.uring;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.util.IllegalReferenceCountException;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.loopback;
import static io.ringline.uring.TransportTestSupport.payload;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A received buffer (with Ringline, a pool slot wrapped in place) behaves as NIO's does for what a handler does with
 * it; each case runs on NIO too.
 */
class ReceivedBufferTest {

    /**
     * A handler that releases what it received and then writes it back: NIO refuses to send a released buffer (an
     * IllegalReferenceCountException fails the write). Ringline must not send a slot the kernel may be filling
     * again, alone or gathered behind another buffer.
     */
    @ParameterizedTest(name = "{0}, another buffer before it in the flush: {1}")
    @CsvSource({"nio,false", "nio,true", "ringline,false", "ringline,true"})
    void writingAReleasedReceivedBufferFails(String transport, boolean gathering) throws Exception {
        CompletableFuture<Throwable> result = new CompletableFuture<>();
        withServer(transport, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (gathering) {
                    ctx.write(Unpooled.directBuffer().writeByte('x'));
                }
                ReferenceCountUtil.release(msg);
                ctx.writeAndFlush(msg).addListener(f -> result.complete(f.isSuccess() ? null : f.cause()));
            }
        }, () -> {
            Throwable cause = result.get(10, TimeUnit.SECONDS);
            assertThat(cause).as("the write of a released buffer").isNotNull();
            assertThat(causes(cause, IllegalReferenceCountException.class)).as("%s", cause).isTrue();
        });
    }

    /** A copy is an ordinary buffer that grows as written to (NIO's maxCapacity: Integer.MAX_VALUE), not a slot. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nio", "ringline"})
    void copiesOfAReceivedBufferGrowPastTheSlot(String transport) throws Exception {
        CompletableFuture<String> result = new CompletableFuture<>();
        withServer(transport, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf received = (ByteBuf) msg;
                StringBuilder failures = new StringBuilder();
                for (ByteBuf copy : new ByteBuf[] {received.copy(), received.readBytes(10)}) {
                    try {
                        copy.writeBytes(new byte[64 * 1024]);
                    } catch (RuntimeException e) {
                        failures.append(e).append('\n');
                    } finally {
                        copy.release();
                    }
                }
                received.release();
                result.complete(failures.toString());
            }
        }, () -> assertThat(result.get(10, TimeUnit.SECONDS)).as("what failed").isEmpty());
    }

    /**
     * A received buffer's alloc() is the channel's ALLOCATOR, as NIO's (it reads into a buffer of that allocator), so
     * what a handler allocates through it, and a copy, come from there; a slot said ByteBufAllocator.DEFAULT.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nio", "ringline"})
    void aReceivedBufferAllocatesFromTheChannelsAllocator(String transport) throws Exception {
        ByteBufAllocator configured = new UnpooledByteBufAllocator(true);
        CompletableFuture<String> result = new CompletableFuture<>();
        withServer(transport, configured, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf received = (ByteBuf) msg;
                ByteBuf copy = received.copy();
                result.complete("alloc() " + (received.alloc() == configured ? "configured" : received.alloc())
                        + ", copy's " + (copy.alloc() == configured ? "configured" : copy.alloc()));
                copy.release();
                received.release();
            }
        }, () -> assertThat(result.get(10, TimeUnit.SECONDS)).isEqualTo("alloc() configured, copy's configured"));
    }

    interface Check {
        void run() throws Exception;
    }

    /** Serves {@code handler} on {@code transport}, sends it 100 bytes from a plain socket, then runs {@code check}. */
    private static void withServer(String transport, ChannelInboundHandlerAdapter handler, Check check)
            throws Exception {
        withServer(transport, ByteBufAllocator.DEFAULT, handler, check);
    }

    /** As above, with the accepted channel's ALLOCATOR set to {@code allocator}. */
    private static void withServer(String transport, ByteBufAllocator allocator, ChannelInboundHandlerAdapter handler,
                                   Check check) throws Exception {
        EventLoopGroup group = TransportTestSupport.oneLoopGroup(transport);
        try {
            Channel server = new ServerBootstrap().group(group)
                    .channel(TransportTestSupport.serverChannelType(transport))
                    .childOption(ChannelOption.ALLOCATOR, allocator)
                    .childHandler(handler).bind(loopback(0)).sync().channel();
            try (Socket socket = new Socket()) {
                socket.connect(server.localAddress());
                socket.getOutputStream().write(payload(3, 100));
                check.run();
            } finally {
                server.close().sync();
            }
        } finally {
            shutdown(group);
        }
    }

    private static boolean causes(Throwable failure, Class<? extends Throwable> type) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return true;
            }
        }
        return false;
    }
}
