package io.ringline.uring;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.loopback;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A read that fails (the peer reset the connection) with ALLOW_HALF_CLOSURE on: NIO and epoll tell the pipeline
 * (exceptionCaught), then shut the input down and fire ChannelInputShutdownEvent (NIO then
 * ChannelInputShutdownReadComplete, its next read finding the end), leaving the open channel's output to the handler,
 * as after an end of stream; without ALLOW_HALF_CLOSURE they close. Each case runs on NIO too.
 */
class ReadErrorHalfClosureTest {

    @ParameterizedTest(name = "{0}, ALLOW_HALF_CLOSURE {1}")
    @CsvSource({"nio,true", "ringline,true", "nio,false", "ringline,false"})
    void aResetPeerEndsTheInputAsAnEndOfStreamWould(String transport, boolean halfClosure) throws Exception {
        EventLoopGroup group = TransportTestSupport.oneLoopGroup(transport);
        List<String> events = new CopyOnWriteArrayList<>();
        CompletableFuture<Channel> child = new CompletableFuture<>();
        CompletableFuture<Void> ended = new CompletableFuture<>();
        try {
            Channel server = new ServerBootstrap().group(group)
                    .channel(TransportTestSupport.serverChannelType(transport))
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, halfClosure)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            child.complete(ctx.channel());
                        }

                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            events.add("read");
                            ReferenceCountUtil.release(msg);
                        }

                        @Override
                        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                            events.add("exceptionCaught " + (cause instanceof IOException ? "IOException" : cause));
                        }

                        @Override
                        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                            events.add(evt.getClass().getSimpleName());
                            ended.complete(null);
                        }

                        @Override
                        public void channelInactive(ChannelHandlerContext ctx) {
                            events.add("inactive");
                            ended.complete(null);
                        }
                    }).bind(loopback(0)).sync().channel();
            try {
                Channel accepted;
                try (Socket socket = new Socket()) {
                    socket.connect(server.localAddress());
                    accepted = child.get(5, TimeUnit.SECONDS);
                    socket.setSoLinger(true, 0); // close(2) resets the connection
                }
                ended.get(5, TimeUnit.SECONDS);
                Thread.sleep(200); // whatever else follows
                if (halfClosure) {
                    assertThat(events).as("events").containsExactly("exceptionCaught IOException",
                            "ChannelInputShutdownEvent", "ChannelInputShutdownReadComplete");
                    assertThat(accepted.isOpen()).as("open for the handler to write or close").isTrue();
                    assertThat(((io.netty.channel.socket.SocketChannel) accepted).isInputShutdown()).isTrue();
                    accepted.close().sync();
                } else {
                    assertThat(events).as("events").containsExactly("exceptionCaught IOException", "inactive");
                }
            } finally {
                server.close().sync();
            }
        } finally {
            shutdown(group);
        }
    }
}
