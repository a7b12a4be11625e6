package io.ringline.uring;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.assertSameBytes;
import static io.ringline.uring.TransportTestSupport.echoThrough;
import static io.ringline.uring.TransportTestSupport.payload;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static io.ringline.uring.TransportTestSupport.uringGroup;
import static org.assertj.core.api.Assertions.assertThat;

/** Ringline against Netty's NIO transport both ways, and over several loops. */
class InteropTest {
    private static final int[] SIZES = {1, 512, 16 * 1024 + 7, 300_000, 2 * 1024 * 1024};

    @Test
    void ourClientTalksToANioServer() throws Exception {
        EventLoopGroup clients = uringGroup(1);
        try (EchoServerFixture server = EchoServerFixture.nio()) {
            for (int size : SIZES) {
                byte[] request = payload(size, size);
                assertSameBytes(echoThrough(clients, UringSocketChannel.class, server.address(), request), request,
                        size + " bytes echoed");
            }
        } finally {
            shutdown(clients);
        }
    }

    @ParameterizedTest(name = "buffer pool {0}")
    @ValueSource(booleans = {true, false})
    void aNioClientTalksToOurServer(boolean bufferPool) throws Exception {
        EventLoopGroup clients = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (EchoServerFixture server = EchoServerFixture.ringline(
                new UringIoHandlerConfig().setBufferPool(bufferPool), 1, EchoServerFixture.EchoHandler.INSTANCE)) {
            for (int size : SIZES) {
                byte[] request = payload(size, size);
                assertSameBytes(echoThrough(clients, NioSocketChannel.class, server.address(), request), request,
                        size + " bytes echoed");
            }
        } finally {
            shutdown(clients);
        }
    }

    @Test
    void ourClientsTalkToOurServerOverTwoLoopsEach() throws Exception {
        Set<EventLoop> serverLoops = ConcurrentHashMap.newKeySet();
        @ChannelHandler.Sharable
        class LoopRecorder extends ChannelInboundHandlerAdapter {
            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                serverLoops.add(ctx.channel().eventLoop());
                ctx.fireChannelActive();
            }
        }
        LoopRecorder recorder = new LoopRecorder();
        EventLoopGroup clients = uringGroup(2);
        try (EchoServerFixture server = EchoServerFixture.ringline(new UringIoHandlerConfig(), 2,
                new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(recorder, EchoServerFixture.EchoHandler.INSTANCE);
                    }
                });
             ExecutorService callers = Executors.newFixedThreadPool(4)) {
            List<Future<?>> results = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                int connection = i;
                results.add(callers.submit(() -> {
                    byte[] request = payload(connection, 100_000 + connection * 1000);
                    assertSameBytes(echoThrough(clients, UringSocketChannel.class, server.address(), request), request,
                            "connection " + connection);
                    return null;
                }));
            }
            for (Future<?> result : results) {
                result.get(60, TimeUnit.SECONDS);
            }
            assertThat(serverLoops).as("server loops that served connections").hasSize(2);
            // Echoed slots return when their sends complete, which may be just after the client read the bytes.
            TransportTestSupport.await(() -> server.metrics().slotsInUse() == 0, TransportTestSupport.seconds(5),
                    "every pool slot back");
        } finally {
            shutdown(clients);
        }
    }
}
