package io.ringline.uring;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.ringline.uring.TransportTestSupport.await;
import static io.ringline.uring.TransportTestSupport.seconds;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Connections on the ring's fixed file table: held while open, given back on close, the fd beyond the table (moving
 * to another loop's table: {@link MovingChannelsTest}).
 */
class FixedFilesTest {

    @Test
    void aClosedConnectionGivesItsEntryBackAndItsPeerSeesEndOfStream() throws Exception {
        try (EchoServerFixture server = EchoServerFixture.ringline(new UringIoHandlerConfig(), 1, new EchoThenClose());
             Socket client = new Socket(server.address().getAddress(), server.address().getPort())) {
            client.getOutputStream().write(new byte[] {1, 2, 3});
            InputStream in = client.getInputStream();
            assertThat(in.readNBytes(3)).containsExactly(1, 2, 3);
            // While the table held the socket, closing its fd would send no FIN: the read below would hang.
            client.setSoTimeout(5_000);
            assertThat(in.read()).as("end of stream after the server closed").isEqualTo(-1);
            await(() -> server.metrics().fixedFiles() == 0, seconds(5), "the entry given back");
        }
    }

    @Test
    void connectionsBeyondTheTableUseTheirFd() throws Exception {
        UringIoHandlerConfig config = new UringIoHandlerConfig().setFixedFiles(4);
        try (EchoServerFixture server = EchoServerFixture.ringline(config, 1, EchoServerFixture.EchoHandler.INSTANCE)) {
            List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 10; i++) {
                    Socket client = new Socket(server.address().getAddress(), server.address().getPort());
                    clients.add(client);
                    byte[] message = TransportTestSupport.payload(i, 100_000);
                    Thread writer = Thread.ofVirtual().start(() -> {
                        try {
                            client.getOutputStream().write(message);
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    });
                    TransportTestSupport.assertSameBytes(client.getInputStream().readNBytes(message.length), message,
                            "echo on connection " + i);
                    writer.join();
                }
                UringMetrics metrics = server.metrics();
                assertThat(metrics.fixedFiles()).as("the first four connections, the table's size: %s", metrics)
                        .isEqualTo(4);
                // Closing one frees an entry for the next connection.
                clients.removeFirst().close();
                await(() -> server.metrics().fixedFiles() == 3, seconds(5), "an entry freed");
                clients.add(new Socket(server.address().getAddress(), server.address().getPort()));
                await(() -> server.metrics().fixedFiles() == 4, seconds(5), "the new connection in the freed entry");
                EchoTest.assertEchoes(server, 1000); // one more beyond the table, on its fd
            } finally {
                for (Socket client : clients) {
                    client.close();
                }
            }
            await(() -> server.metrics().fixedFiles() == 0, seconds(5), "every entry given back");
        }
    }

    @ChannelHandler.Sharable
    private static final class EchoThenClose extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
