package io.ringline.uring;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.loopback;
import static io.ringline.uring.TransportTestSupport.oneLoopGroup;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static org.assertj.core.api.Assertions.assertThat;

/** An accepted channel's addresses, as NIO (the reference) and Ringline report them. */
class ChannelAddressesTest {

    /**
     * First asked for once the channel has closed (a closeFuture listener that logs who left, a channelInactive after
     * an idle timeout): NIO and epoll know them from the accept, and so must Ringline, whose socket is gone by then.
     */
    @ParameterizedTest
    @ValueSource(strings = {"nio", "ringline"})
    void anAcceptedChannelKnowsItsAddressesAfterItClosed(String transport) throws Exception {
        boolean nio = transport.equals("nio");
        EventLoopGroup group = oneLoopGroup(transport);
        Class<? extends ServerChannel> type = nio ? NioServerSocketChannel.class : UringServerSocketChannel.class;
        CompletableFuture<List<SocketAddress>> afterClose = new CompletableFuture<>();
        try {
            Channel server = new ServerBootstrap().group(group).channel(type)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            Channel child = ctx.channel();
                            child.closeFuture().addListener(f -> afterClose.complete( // null if unknown
                                    Arrays.asList(child.remoteAddress(), child.localAddress())));
                            ctx.close(); // a server turning the connection away, before anyone asked who it was
                        }
                    }).bind(loopback(0)).sync().channel();
            try (Socket client = new Socket()) {
                client.connect(server.localAddress());
                List<SocketAddress> addresses = afterClose.get(5, TimeUnit.SECONDS);
                assertThat(addresses.get(0)).as("remoteAddress() after close").isEqualTo(client.getLocalSocketAddress());
                assertThat(addresses.get(1)).as("localAddress() after close").isEqualTo(server.localAddress());
            } finally {
                server.close().sync();
            }
        } finally {
            shutdown(group);
        }
    }

    /**
     * A connection the client reset while it waited in the accept queue: accept(2) still returns it, and its peer's
     * address (NIO and epoll take the address from accept). getpeername(2) would fail with ENOTCONN on it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"nio", "ringline"})
    void aConnectionResetBeforeItWasAcceptedStillKnowsItsPeer(String transport) throws Exception {
        boolean nio = transport.equals("nio");
        EventLoopGroup group = oneLoopGroup(transport);
        CompletableFuture<SocketAddress[]> accepted = new CompletableFuture<>();
        try {
            Class<? extends ServerChannel> type = nio ? NioServerSocketChannel.class : UringServerSocketChannel.class;
            Channel server = new ServerBootstrap().group(group).channel(type)
                    .option(ChannelOption.AUTO_READ, false) // accept only when told, after the reset
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRegistered(ChannelHandlerContext ctx) {
                            accepted.complete(new SocketAddress[] {
                                    ctx.channel().remoteAddress(), ctx.channel().localAddress()});
                        }
                    }).bind(loopback(0)).sync().channel();
            try {
                InetSocketAddress clientAddress;
                try (Socket client = new Socket()) {
                    client.connect(server.localAddress());
                    clientAddress = (InetSocketAddress) client.getLocalSocketAddress();
                    client.setSoLinger(true, 0); // close() sends RST
                }
                Thread.sleep(100); // setup only: let the RST reach the queued connection
                server.read(); // one accept
                SocketAddress[] addresses = accepted.get(5, TimeUnit.SECONDS);
                assertThat(addresses[0]).as("remoteAddress()").isEqualTo(clientAddress);
                assertThat(addresses[1]).as("localAddress()").isEqualTo(server.localAddress());
            } finally {
                server.close().sync();
            }
        } finally {
            shutdown(group);
        }
    }
}
