package io.ringline.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.ringline.uring.Uring;
import io.ringline.uring.UringIoHandler;
import io.ringline.uring.UringMetrics;
import io.ringline.uring.UringServerSocketChannel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Soak: a Ringline echo server (in this JVM, one loop) under mixed load for N minutes — connections echoing random
 * sizes, some resetting mid-stream (SO_LINGER 0) and reconnecting — printing every interval the process RSS, its
 * open fds, heap in use, and the loop's buffer counters. Flat lines mean nothing leaks. Fails (exit code 1) on an
 * echo error, or when, with every client closed, the server still holds pool slots, fixed files or more fds than
 * before the load.
 *
 * <p>{@code java --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar io.ringline.bench.Soak
 * --minutes 10}
 */
@Command(name = "soak", mixinStandardHelpOptions = true,
        description = "Mixed echo load with resets against a Ringline server; prints RSS, fds and buffer counters.")
public final class Soak implements Callable<Integer> {
    @Option(names = "--minutes", defaultValue = "10", description = "How long to run (default ${DEFAULT-VALUE}).")
    double minutes;

    @Option(names = "--connections", defaultValue = "64", description = "Concurrent clients (default ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--interval", defaultValue = "30", description = "Seconds between reports (default ${DEFAULT-VALUE}).")
    int intervalSeconds;

    @Option(names = "--reset-every", defaultValue = "200",
            description = "A client resets its connection after about this many echoes (default ${DEFAULT-VALUE}).")
    int resetEvery;

    /** Fds the JDK may open once during the load and keep (virtual threads' pollers and the like), not leaks. */
    private static final int FD_SLACK = 16;

    @Spec
    CommandSpec spec;

    private final AtomicLong echoes = new AtomicLong();
    private final AtomicLong resets = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    /** The server's child handler (tests swap in leaky ones). */
    ChannelHandler handler = EchoHandler.INSTANCE;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Soak()).execute(args));
    }


    @Override
    public Integer call() throws Exception {
        // Below 1 a client thread died at once (nextInt's bound) and the soak passed with no echo at all.
        if (connections < 1 || intervalSeconds < 1 || resetEvery < 1 || !(minutes > 0)) {
            throw new ParameterException(spec.commandLine(),
                    "--minutes must be above 0, --connections, --interval and --reset-every at least 1");
        }
        Uring.ensureAvailability();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, UringIoHandler.newFactory());
        try {
            Channel server = new ServerBootstrap().group(group).channel(UringServerSocketChannel.class)
                    .childHandler(handler).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            InetSocketAddress address = (InetSocketAddress) server.localAddress();
            long fdsBefore = openFds();
            long end = System.nanoTime() + (long) (minutes * 60e9);
            List<Thread> clients = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                long seed = i;
                clients.add(Thread.ofVirtual().start(() -> client(address, seed, end)));
            }
            System.out.println("elapsed_s  echoes  resets  errors  rss_kib  fds  heap_used_kib  pool_slots  "
                    + "slots_in_use  enobufs  fixed_sends  plain_sends  fixed_files");
            long start = System.nanoTime();
            while (System.nanoTime() < end) {
                Thread.sleep(Math.min(TimeUnit.SECONDS.toMillis(intervalSeconds),
                        Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()))));
                report(group, start);
            }
            for (Thread client : clients) {
                client.join();
            }
            // Every client is gone: once the server has seen the last closes it holds no slot, no fixed file and
            // no fd more than before the load (less a few the JDK opens once, e.g. the virtual threads' pollers).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            String leaks;
            while (!(leaks = leaks(Uring.metrics(group), fdsBefore)).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            report(group, start);
            server.close().sync();
            if (!leaks.isEmpty()) {
                System.out.println("LEAK, with every client closed:" + leaks);
                return 1;
            }
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
        return errors.get() == 0 ? 0 : 1;
    }

    /** What the server still holds with no connection open, as a list of " x (expected y)" (empty: nothing). */
    private static String leaks(UringMetrics m, long fdsBefore) throws IOException {
        StringBuilder leaks = new StringBuilder();
        if (m.slotsInUse() != 0) {
            leaks.append(" slots_in_use ").append(m.slotsInUse()).append(" (expected 0)");
        }
        if (m.fixedFiles() != 0) {
            leaks.append(" fixed_files ").append(m.fixedFiles()).append(" (expected 0)");
        }
        long fds = openFds();
        if (fds > fdsBefore + FD_SLACK) {
            leaks.append(" fds ").append(fds).append(" (expected at most ").append(fdsBefore + FD_SLACK)
                    .append(": ").append(fdsBefore).append(" before the load)");
        }
        return leaks.toString();
    }

    private static long openFds() throws IOException {
        try (var entries = Files.list(Path.of("/proc/self/fd"))) {
            return entries.count();
        }
    }

    private void report(EventLoopGroup group, long start) throws IOException {
        UringMetrics m = Uring.metrics(group);
        Runtime runtime = Runtime.getRuntime();
        long fds = openFds();
        System.out.printf("%9.0f  %6d  %6d  %6d  %7d  %3d  %13d  %10d  %12d  %7d  %11d  %11d  %11d%n",
                (System.nanoTime() - start) / 1e9, echoes.get(), resets.get(), errors.get(), rssKib(), fds,
                (runtime.totalMemory() - runtime.freeMemory()) / 1024, m.poolSlots(), m.slotsInUse(),
                m.noBufferEvents(), m.fixedSends(), m.plainSends(), m.fixedFiles());
    }

    private static long rssKib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    /** Echoes random sizes (1 B .. 64 KiB) with checks; every so often resets the connection and reconnects. */
    private void client(InetSocketAddress address, long seed, long end) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] request = new byte[64 * 1024];
        byte[] response = new byte[64 * 1024];
        while (System.nanoTime() < end) {
            try (Socket socket = new Socket(address.getAddress(), address.getPort())) {
                socket.setTcpNoDelay(true);
                socket.setSoTimeout(10_000);
                OutputStream out = socket.getOutputStream();
                DataInputStream in = new DataInputStream(socket.getInputStream());
                int budget = 1 + random.nextInt(2 * resetEvery);
                for (int i = 0; i < budget && System.nanoTime() < end; i++) {
                    int size = random.nextInt(10) == 0 ? 1 + random.nextInt(request.length) : 1 + random.nextInt(1024);
                    for (int b = 0; b < size; b++) {
                        request[b] = (byte) random.nextInt();
                    }
                    out.write(request, 0, size);
                    in.readFully(response, 0, size);
                    if (!Arrays.equals(request, 0, size, response, 0, size)) {
                        errors.incrementAndGet();
                    }
                    echoes.incrementAndGet();
                }
                if (random.nextBoolean()) {
                    out.write(request, 0, 1 + random.nextInt(4096)); // data in flight when the reset hits
                }
                socket.setSoLinger(true, 0); // close() now sends RST
                resets.incrementAndGet();
            } catch (IOException e) {
                errors.incrementAndGet();
            } catch (RuntimeException e) {
                errors.incrementAndGet(); // a client that cannot run fails the soak rather than leaving it quieter
                throw e;
            }
        }
    }
}
