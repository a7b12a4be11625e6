package io.ringline.uring;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.assertSameBytes;
import static io.ringline.uring.TransportTestSupport.loopback;
import static io.ringline.uring.TransportTestSupport.payload;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static io.ringline.uring.TransportTestSupport.uringGroup;
import static org.assertj.core.api.Assertions.assertThat;

/** A file sent as a FileRegion to a reader that keeps the socket buffers full, so sends come back short. */
class FileRegionTest {
    private final EventLoopGroup group = uringGroup(1);

    @AfterEach
    void shutdownGroup() {
        shutdown(group);
    }

    @Test
    void aFileArrivesWholeThroughShortSends(@TempDir Path directory) throws Exception {
        byte[] content = payload(11, 3 * 1024 * 1024 + 123);
        Path file = Files.write(directory.resolve("region.bin"), content);
        try (ServerSocket listener = new ServerSocket()) {
            listener.setReceiveBufferSize(16 * 1024);
            listener.bind(loopback(0), 50);
            Channel client = new Bootstrap().group(group).channel(UringSocketChannel.class)
                    .option(ChannelOption.SO_SNDBUF, 16 * 1024)
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(loopback(listener.getLocalPort())).sync().channel();
            try (Socket peer = listener.accept()) {
                peer.setSoTimeout(10_000);
                ChannelFuture sent = client.writeAndFlush(new DefaultFileRegion(file.toFile(), 0, content.length));
                byte[] received = new byte[content.length];
                int total = 0;
                while (total < content.length) {
                    int n = peer.getInputStream().read(received, total, Math.min(5000, content.length - total));
                    assertThat(n).as("read at %d", total).isPositive();
                    total += n;
                }
                assertThat(sent.await(10, TimeUnit.SECONDS)).isTrue();
                assertThat(sent.isSuccess()).as("write succeeded: %s", sent.cause()).isTrue();
                assertSameBytes(received, content, "what the peer received");
            } finally {
                client.close().sync();
            }
        }
    }
}
