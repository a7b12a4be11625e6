package io.ringline.uring;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.Socket;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** What the transport tests share: loops, payloads, waiting, file descriptors. */
final class TransportTestSupport {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private TransportTestSupport() { }

    static InetSocketAddress loopback(int port) {
        return new InetSocketAddress("127.0.0.1", port);
    }

    static EventLoopGroup uringGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, UringIoHandler.newFactory());
    }

    static EventLoopGroup uringGroup(int threads, UringIoHandlerConfig config) {
        return new MultiThreadIoEventLoopGroup(threads, UringIoHandler.newFactory(config));
    }

    /** One event loop of {@code transport}: "nio" (the reference in side-by-side tests) or "ringline". */
    static EventLoopGroup oneLoopGroup(String transport) {
        return switch (transport) {
            case "nio" -> new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            case "ringline" -> uringGroup(1);
            default -> throw new IllegalArgumentException("no such transport: " + transport);
        };
    }

    /**
     * A listener on loopback whose accepted sockets have a 16 KiB receive buffer (they inherit it): a peer that does
     * not read soon stalls what is sent to it.
     */
    static ServerSocket slowListener() throws IOException {
        ServerSocket listener = new ServerSocket();
        listener.setReceiveBufferSize(16 * 1024);
        listener.bind(loopback(0), 50);
        return listener;
    }

    /** What {@code socket} reads until end of stream, or until a reset: what came before a reset counts. */
    static byte[] readUntilEndOrReset(Socket socket) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] chunk = new byte[64 * 1024];
        try {
            int n;
            while ((n = socket.getInputStream().read(chunk)) > 0) {
                bytes.write(chunk, 0, n);
            }
        } catch (SocketException reset) {
            // the other side's close may reset the connection
        }
        return bytes.toByteArray();
    }

    /** The connection channel class of {@code transport}, as {@link #oneLoopGroup} names it. */
    static Class<? extends SocketChannel> socketChannelType(String transport) {
        return switch (transport) {
            case "nio" -> NioSocketChannel.class;
            case "ringline" -> UringSocketChannel.class;
            default -> throw new IllegalArgumentException("no such transport: " + transport);
        };
    }

    /** The server channel class of {@code transport}, as {@link #oneLoopGroup} names it. */
    static Class<? extends ServerChannel> serverChannelType(String transport) {
        return switch (transport) {
            case "nio" -> NioServerSocketChannel.class;
            case "ringline" -> UringServerSocketChannel.class;
            default -> throw new IllegalArgumentException("no such transport: " + transport);
        };
    }

    static void shutdown(EventLoopGroup... groups) {
        for (EventLoopGroup group : groups) {
            if (group != null) {
                group.shutdownGracefully(0, 5, TimeUnit.SECONDS);
            }
        }
        for (EventLoopGroup group : groups) {
            if (group != null) {
                assertThat(group.terminationFuture().awaitUninterruptibly(10, TimeUnit.SECONDS))
                        .as("%s terminated", group).isTrue();
            }
        }
    }

    /** {@code size} bytes that differ per {@code seed}. */
    static byte[] payload(long seed, int size) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** Fails unless {@code actual} equals {@code expected}, naming the first difference instead of every byte. */
    static void assertSameBytes(byte[] actual, byte[] expected, String what) {
        int mismatch = Arrays.mismatch(actual, expected);
        if (mismatch >= 0) {
            throw new AssertionError(what + ": got " + actual.length + " bytes, expected " + expected.length
                    + "; first difference at index " + mismatch
                    + (mismatch < Math.min(actual.length, expected.length)
                    ? " (" + actual[mismatch] + " instead of " + expected[mismatch] + ")" : ""));
        }
    }

    /** Polls {@code condition} until it holds, failing after {@code timeout}. */
    static void await(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    /** The soft {@code RLIMIT_NOFILE} of this process, from /proc/self/limits. */
    static long openFileLimit() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                return "unlimited".equals(soft) ? Long.MAX_VALUE : Long.parseLong(soft);
            }
        }
        throw new IOException("no 'Max open files' in /proc/self/limits");
    }

    /** The open file descriptors of this process, number to what they point at. */
    static Map<Integer, String> openFds() throws IOException {
        Map<Integer, String> fds = new TreeMap<>();
        try (Stream<Path> entries = Files.list(Path.of("/proc/self/fd"))) {
            for (Path entry : (Iterable<Path>) entries::iterator) {
                try {
                    fds.put(Integer.parseInt(entry.getFileName().toString()), Files.readSymbolicLink(entry).toString());
                } catch (IOException e) {
                    // Closed while we listed: the directory stream's own fd, or another thread's.
                }
            }
        }
        return fds;
    }

    /**
     * How many fds this process has open once the count comes down to {@code atMost} (or stops changing, if it does
     * not within {@code timeout}): the JDK closes some sockets only through cleaners, so this collects garbage while
     * it waits, and connections the peer closed need a moment to be seen and closed by the loop. The JDK's own epoll
     * instances do not count: it opens them lazily for the pollers of virtual threads, and Ringline opens none.
     */
    static int settledFdCount(int atMost, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        int previous = -1;
        while (true) {
            System.gc();
            Thread.sleep(50);
            int count = (int) openFds().values().stream().filter(fd -> !fd.equals("anon_inode:[eventpoll]")).count();
            if (count <= atMost || (atMost == Integer.MAX_VALUE && count == previous)
                    || System.nanoTime() - deadline > 0) {
                return count;
            }
            previous = count;
        }
    }

    /**
     * What every hostile scenario ends with: every slot of {@code server}'s buffer pool back in the pool, the loop still
     * echoing to a fresh client, and no more fds open than {@code fdBaseline} (taken before the scenario, with
     * {@code settledFdCount(Integer.MAX_VALUE, ...)}).
     */
    static void assertRecovered(EchoServerFixture server, int fdBaseline) throws Exception {
        await(() -> server.metrics().slotsInUse() == 0, seconds(10), "every pool slot back in the pool");
        EchoTest.assertEchoes(server, 256 * 1024);
        int fds = settledFdCount(fdBaseline, seconds(10));
        assertThat(fds).as("open fds after the scenario (before: %d): %s", fdBaseline, openFds()).isLessThanOrEqualTo(fdBaseline);
        assertThat(server.metrics().slotsInUse()).as("pool slots in use after a fresh echo").isZero();
    }

    /** A thread factory for event loops that records what escapes their threads. */
    static final class RecordingThreadFactory implements ThreadFactory {
        final List<Throwable> uncaught = new CopyOnWriteArrayList<>();
        private final ThreadFactory delegate = new DefaultThreadFactory("ringline-test");

        @Override
        public Thread newThread(Runnable r) {
            Thread thread = delegate.newThread(r);
            thread.setUncaughtExceptionHandler((t, e) -> uncaught.add(e));
            return thread;
        }
    }

    /** Collects what a channel receives until {@code expected} bytes arrived (or the channel closed). */
    static final class ByteCollector extends ChannelInboundHandlerAdapter {
        final CompletableFuture<byte[]> received = new CompletableFuture<>();
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final int expected;

        ByteCollector(int expected) {
            this.expected = expected;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                ByteBuf buffer = (ByteBuf) msg;
                byte[] chunk = new byte[buffer.readableBytes()];
                buffer.readBytes(chunk);
                bytes.writeBytes(chunk);
            } finally {
                ReferenceCountUtil.release(msg);
            }
            if (bytes.size() >= expected) {
                received.complete(bytes.toByteArray());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            received.complete(bytes.toByteArray());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            received.completeExceptionally(cause);
            ctx.close();
        }
    }

    /**
     * Connects a {@code channelType} client of {@code group} to an echo server at {@code address}, writes
     * {@code payload} in chunks of at most 64 KiB and returns what came back (once all of it did).
     */
    static byte[] echoThrough(EventLoopGroup group, Class<? extends Channel> channelType, InetSocketAddress address,
                              byte[] payload) throws Exception {
        ByteCollector collector = new ByteCollector(payload.length);
        Channel channel = new Bootstrap().group(group).channel(channelType).handler(collector)
                .connect(address).sync().channel();
        try {
            for (int offset = 0; offset < payload.length; offset += 64 * 1024) {
                int length = Math.min(64 * 1024, payload.length - offset);
                ByteBuf chunk = channel.alloc().directBuffer(length).writeBytes(payload, offset, length);
                channel.write(chunk);
            }
            channel.flush();
            return collector.received.get(30, TimeUnit.SECONDS);
        } finally {
            channel.close().sync();
        }
    }

    static Duration seconds(long seconds) {
        return Duration.ofSeconds(seconds);
    }

    /** What one client connection does, given its number (0, 1, ...). */
    interface ClientTask {
        void run(int seed) throws Throwable;
    }

    /** Client connections, each on its own virtual thread, and what they threw. */
    static final class Clients {
        private final List<Thread> threads = new ArrayList<>();
        private final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();

        private Clients() {
        }

        /** Starts {@code count} clients, each running {@code task} with its number. */
        static Clients start(int count, ClientTask task) {
            Clients clients = new Clients();
            for (int c = 0; c < count; c++) {
                int seed = c;
                clients.threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        task.run(seed);
                    } catch (Throwable t) {
                        clients.failures.add(t);
                    }
                }));
            }
            return clients;
        }

        /** Waits up to {@code timeout} for each client in turn, then returns what they threw. */
        List<Throwable> join(Duration timeout) throws InterruptedException {
            for (Thread thread : threads) {
                thread.join(timeout.toMillis());
            }
            return new ArrayList<>(failures);
        }
    }
}
