package io.ringline.uring;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.loopback;
import static io.ringline.uring.TransportTestSupport.oneLoopGroup;
import static io.ringline.uring.TransportTestSupport.serverChannelType;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static org.assertj.core.api.Assertions.assertThat;

/** A listener's AUTO_READ going off and on again: no read events without a connection, and accepting resumes. */
class ListenerAutoReadTest {
    /**
     * Turning AUTO_READ off on an idle listener delivers nothing: NIO fires no channelReadComplete. Ringline's
     * cancelled multishot accept ended with -ECANCELED, which fired a channelReadComplete with no channelRead before
     * it. Turned on again, the listener accepts, with one channelRead and its channelReadComplete.
     */
    @ParameterizedTest
    @ValueSource(strings = {"nio", "ringline"})
    void turningAutoReadOffOnAnIdleListenerFiresNoReadComplete(String transport) throws Exception {
        EventLoopGroup group = oneLoopGroup(transport);
        List<String> events = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> completed = new CompletableFuture<>();
        try {
            Channel server = new ServerBootstrap().group(group).channel(serverChannelType(transport))
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            events.add("read");
                            ctx.fireChannelRead(msg);
                        }

                        @Override
                        public void channelReadComplete(ChannelHandlerContext ctx) {
                            events.add("readComplete");
                            completed.complete(null);
                            ctx.fireChannelReadComplete();
                        }
                    })
                    .childHandler(new ChannelInboundHandlerAdapter())
                    .bind(loopback(0)).sync().channel();
            Thread.sleep(100); // the accept armed
            server.config().setAutoRead(false);
            Thread.sleep(300); // the cancellation's completion, if any
            assertThat(events).as("events after AUTO_READ off on an idle listener").isEmpty();

            server.config().setAutoRead(true);
            InetSocketAddress address = (InetSocketAddress) server.localAddress();
            try (Socket client = new Socket(address.getAddress(), address.getPort())) {
                completed.get(5, TimeUnit.SECONDS);
                assertThat(events).containsExactly("read", "readComplete");
            } finally {
                server.close().sync();
            }
        } finally {
            shutdown(group);
        }
    }

    /** AUTO_READ off and on again at once, before the cancelled accept's completion came: the listener accepts. */
    @ParameterizedTest
    @ValueSource(strings = {"nio", "ringline"})
    void autoReadOffAndOnAgainAtOnceKeepsAccepting(String transport) throws Exception {
        EventLoopGroup group = oneLoopGroup(transport);
        CompletableFuture<Channel> accepted = new CompletableFuture<>();
        try {
            Channel server = new ServerBootstrap().group(group).channel(serverChannelType(transport))
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            accepted.complete(ctx.channel());
                        }
                    })
                    .bind(loopback(0)).sync().channel();
            Thread.sleep(100); // the accept armed
            server.eventLoop().submit(() -> {
                server.config().setAutoRead(false);
                server.config().setAutoRead(true);
            }).sync();
            InetSocketAddress address = (InetSocketAddress) server.localAddress();
            try (Socket client = new Socket(address.getAddress(), address.getPort())) {
                assertThat(accepted.get(5, TimeUnit.SECONDS).isActive()).isTrue();
            } finally {
                server.close().sync();
            }
        } finally {
            shutdown(group);
        }
    }
}
