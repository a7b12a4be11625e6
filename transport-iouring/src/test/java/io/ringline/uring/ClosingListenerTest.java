package io.ringline.uring;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.LOOPBACK;
import static io.ringline.uring.TransportTestSupport.RecordingThreadFactory;
import static io.ringline.uring.TransportTestSupport.loopback;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static org.assertj.core.api.Assertions.assertThat;

/** A listener that closes while the kernel is accepting for it leaves no accepted connection open. */
class ClosingListenerTest {
    private final RecordingThreadFactory threads = new RecordingThreadFactory();
    // Without DEFER_TASKRUN the kernel posts a completion whenever the loop thread leaves a system call, also inside a
    // task, so the loop can reap an accept's completion only after the task that closed its listener.
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, threads,
            UringIoHandler.newFactory(new UringIoHandlerConfig().setDeferTaskrun(false)));

    @AfterEach
    void shutdownGroup() {
        shutdown(group);
        assertThat(threads.uncaught).as("exceptions that escaped the loop").isEmpty();
    }

    /**
     * A client connects while a task on the loop runs; the same task then closes the listener. The multishot accept
     * has taken the connection by then, and its completion names a listener that is gone: the loop must close the
     * accepted fd, or the client waits forever on a connection nobody serves.
     */
    @Test
    void aConnectionAcceptedAsTheListenerClosesIsClosed() throws Exception {
        Channel server = new ServerBootstrap().group(group).channel(UringServerSocketChannel.class)
                .childHandler(new ChannelInboundHandlerAdapter())
                .bind(loopback(0)).sync().channel();
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        CompletableFuture<Socket> client = new CompletableFuture<>();
        server.eventLoop().submit(() -> {
            Thread.ofPlatform().start(() -> {
                try {
                    client.complete(new Socket(LOOPBACK, port));
                } catch (Exception e) {
                    client.completeExceptionally(e);
                }
            });
            client.get(5, TimeUnit.SECONDS);
            Thread.sleep(50); // system calls, on whose way out the kernel runs the accept and posts its completion
            server.close();
            return null;
        }).get(10, TimeUnit.SECONDS);
        server.closeFuture().sync();

        try (Socket socket = client.get()) {
            socket.setSoTimeout(3000);
            int read;
            try {
                read = socket.getInputStream().read();
            } catch (SocketException reset) {
                read = -1;
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the connection accepted as the listener closed is still open: its fd leaked");
            }
            assertThat(read).as("end of stream or reset").isEqualTo(-1);
        }
    }
}
