package io.ringline.uring;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.ringline.uring.TransportTestSupport.RecordingThreadFactory;
import static io.ringline.uring.TransportTestSupport.await;
import static io.ringline.uring.TransportTestSupport.loopback;
import static io.ringline.uring.TransportTestSupport.openFds;
import static io.ringline.uring.TransportTestSupport.seconds;
import static io.ringline.uring.TransportTestSupport.settledFdCount;
import static org.assertj.core.api.Assertions.assertThat;

/** shutdownGracefully() while 20 clients echo as fast as they can: it ends in time and leaves nothing behind. */
class ShutdownUnderLoadTest {
    private static final int CLIENTS = 20;
    private static final long QUIET_MILLIS = 200;
    private static final long TIMEOUT_MILLIS = 3_000;

    @Test
    void gracefulShutdownUnderLoadEndsInTimeAndClosesEverything() throws Exception {
        runUnderLoadThenShutDown(); // the first run opens what the JDK opens lazily
        int fdBaseline = settledFdCount(Integer.MAX_VALUE, seconds(5));
        runUnderLoadThenShutDown();
        int fds = settledFdCount(fdBaseline, seconds(10));
        assertThat(fds).as("open fds after the second run (before: %d): %s", fdBaseline, openFds())
                .isLessThanOrEqualTo(fdBaseline);
    }

    private static void runUnderLoadThenShutDown() throws Exception {
        RecordingThreadFactory recording = new RecordingThreadFactory();
        List<Thread> loopThreads = new ArrayList<>();
        ThreadFactory threads = r -> {
            Thread thread = recording.newThread(r);
            loopThreads.add(thread);
            return thread;
        };
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, threads, UringIoHandler.newFactory());
        Queue<Channel> channels = new ConcurrentLinkedQueue<>();
        Channel server = new ServerBootstrap().group(group).channel(UringServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        channels.add(ch);
                        ch.pipeline().addLast(EchoServerFixture.EchoHandler.INSTANCE);
                    }
                })
                .bind(loopback(0)).sync().channel();
        channels.add(server);
        InetSocketAddress address = (InetSocketAddress) server.localAddress();
        AtomicInteger roundTrips = new AtomicInteger();
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int seed = c;
            clients.add(Thread.ofVirtual().start(() -> {
                try (Socket socket = new Socket(address.getAddress(), address.getPort())) {
                    socket.setSoTimeout(20_000);
                    OutputStream out = socket.getOutputStream();
                    DataInputStream in = new DataInputStream(socket.getInputStream());
                    Random random = new Random(seed);
                    while (true) {
                        byte[] request = new byte[1 + random.nextInt(32 * 1024)];
                        random.nextBytes(request);
                        out.write(request);
                        byte[] response = new byte[request.length];
                        in.readFully(response);
                        if (!Arrays.equals(request, response)) {
                            failures.add(new AssertionError("echo of connection " + seed + " differs"));
                            return;
                        }
                        roundTrips.incrementAndGet();
                    }
                } catch (java.io.IOException e) {
                    // The server went away: end of stream or reset, as it should.
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        await(() -> roundTrips.get() >= CLIENTS * 20, seconds(20), "the clients to be echoing");

        long start = System.nanoTime();
        group.shutdownGracefully(QUIET_MILLIS, TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        boolean terminated = group.terminationFuture().await(QUIET_MILLIS + TIMEOUT_MILLIS + 2_000);
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(terminated).as("terminated within quiet period + timeout (+2 s of slack)").isTrue();
        System.out.printf("shutdown under load: %d ms, %d round trips before%n", tookMillis, roundTrips.get());
        for (Channel channel : channels) {
            assertThat(channel.closeFuture().await(1, TimeUnit.SECONDS)).as("%s closed", channel).isTrue();
        }
        for (Thread loop : loopThreads) {
            loop.join(2_000);
            assertThat(loop.isAlive()).as("loop thread %s still running", loop.getName()).isFalse();
        }
        for (Thread client : clients) {
            client.join(10_000);
            assertThat(client.isAlive()).as("a client still blocked after the server went away").isFalse();
        }
        assertThat(failures).isEmpty();
        assertThat(recording.uncaught).as("exceptions that escaped the loop threads").isEmpty();
    }
}
