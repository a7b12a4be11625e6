package io.ringline.uring.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapFactory;
import io.netty.testsuite.transport.socket.SocketTestPermutation;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.ringline.uring.Uring;
import io.ringline.uring.UringIoHandler;
import io.ringline.uring.UringIoHandlerConfig;
import io.ringline.uring.UringServerSocketChannel;
import io.ringline.uring.UringSocketChannel;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The bootstraps Netty's transport testsuite runs against Ringline. For each read path (the loop's registered
 * buffer pool with multishot recv, and {@code setBufferPool(false)}: one recv at a time into {@code RCVBUF_ALLOCATOR}
 * buffers) it crosses Ringline's server and client with NIO's: Ringline x Ringline, Ringline x NIO (server x client)
 * and NIO x Ringline, so every test method runs both read paths and interop both ways.
 *
 * <p>System property {@value #READ_PATHS_PROPERTY} ({@code pool}, {@code allocator}, or both, comma-separated; default
 * both) narrows the run to one read path.
 */
public class UringSocketTestPermutation extends SocketTestPermutation {
    static final String READ_PATHS_PROPERTY = "ringline.testsuite.readPaths";

    /** How a Ringline loop receives. */
    public enum ReadPath {
        /** The loop's provided-buffer pool (the default configuration). */
        POOL(true),
        /** No pool: each read fills a buffer from the channel's {@code RCVBUF_ALLOCATOR}. */
        ALLOCATOR(false);

        private final boolean bufferPool;

        ReadPath(boolean bufferPool) {
            this.bufferPool = bufferPool;
        }

        UringIoHandlerConfig config() {
            return new UringIoHandlerConfig().setBufferPool(bufferPool);
        }
    }

    public static final UringSocketTestPermutation INSTANCE = new UringSocketTestPermutation(readPathsFromProperty());

    private final Set<ReadPath> readPaths;

    public UringSocketTestPermutation(Set<ReadPath> readPaths) {
        this.readPaths = EnumSet.copyOf(readPaths);
    }

    private static Set<ReadPath> readPathsFromProperty() {
        String value = System.getProperty(READ_PATHS_PROPERTY, "pool,allocator");
        Set<ReadPath> paths = EnumSet.noneOf(ReadPath.class);
        for (String name : value.split(",")) {
            if (!name.isBlank()) {
                paths.add(ReadPath.valueOf(name.trim().toUpperCase(Locale.ROOT)));
            }
        }
        if (paths.isEmpty()) {
            throw new IllegalArgumentException(READ_PATHS_PROPERTY + " names no read path: " + value);
        }
        return paths;
    }

    /**
     * Ringline's loops, shared by every test of the run (as Netty's epoll and io_uring suites share theirs), created
     * on first use: a one-thread boss group and a two-thread worker group per read path, so accepted channels live
     * on another loop than their listener.
     */
    private static final class Groups {
        static final EventLoopGroup POOL_BOSS = newGroup("ringline-pool-boss", 1, ReadPath.POOL);
        static final EventLoopGroup POOL_WORKER = newGroup("ringline-pool-worker", 2, ReadPath.POOL);
        static final EventLoopGroup ALLOCATOR_BOSS = newGroup("ringline-alloc-boss", 1, ReadPath.ALLOCATOR);
        static final EventLoopGroup ALLOCATOR_WORKER = newGroup("ringline-alloc-worker", 2, ReadPath.ALLOCATOR);

        private static EventLoopGroup newGroup(String name, int threads, ReadPath path) {
            Uring.ensureAvailability(); // a clear cause rather than a failure inside the group's constructor
            return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true),
                    UringIoHandler.newFactory(path.config()));
        }

        static EventLoopGroup boss(ReadPath path) {
            return path == ReadPath.POOL ? POOL_BOSS : ALLOCATOR_BOSS;
        }

        static EventLoopGroup worker(ReadPath path) {
            return path == ReadPath.POOL ? POOL_WORKER : ALLOCATOR_WORKER;
        }
    }

    /** Whether {@code group} runs Ringline's loops. */
    public static boolean isRingline(EventLoopGroup group) {
        return group instanceof IoEventLoopGroup io && io.isIoType(UringIoHandler.class);
    }

    BootstrapFactory<ServerBootstrap> uringServer(ReadPath path) {
        return () -> new ServerBootstrap().group(Groups.boss(path), Groups.worker(path))
                .channel(UringServerSocketChannel.class);
    }

    BootstrapFactory<Bootstrap> uringClient(ReadPath path) {
        return () -> new Bootstrap().group(Groups.worker(path)).channel(UringSocketChannel.class);
    }

    BootstrapFactory<ServerBootstrap> nioServer() {
        return () -> new ServerBootstrap().group(NIO_GROUP).channel(NioServerSocketChannel.class);
    }

    BootstrapFactory<Bootstrap> nioClient() {
        return () -> new Bootstrap().group(NIO_GROUP).channel(NioSocketChannel.class);
    }

    /** Per read path: Ringline x Ringline, Ringline server x NIO client, NIO server x Ringline client. */
    @Override
    public List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> socket() {
        List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> combos = new ArrayList<>();
        for (ReadPath path : readPaths) {
            combos.addAll(combo(List.of(uringServer(path)), List.of(uringClient(path), nioClient())));
            combos.addAll(combo(List.of(nioServer()), List.of(uringClient(path))));
        }
        return combos;
    }

    /** Ringline has no TCP fast open: the same combinations as {@link #socket()}. */
    @Override
    public List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> socketWithFastOpen() {
        return socket();
    }

    /** Ringline's server, once per read path (for the testsuite's server-only tests). */
    @Override
    public List<BootstrapFactory<ServerBootstrap>> serverSocket() {
        List<BootstrapFactory<ServerBootstrap>> factories = new ArrayList<>();
        for (ReadPath path : readPaths) {
            factories.add(uringServer(path));
        }
        return factories;
    }

    /** Ringline's client, once per read path (for the testsuite's client-only tests). */
    @Override
    public List<BootstrapFactory<Bootstrap>> clientSocket() {
        List<BootstrapFactory<Bootstrap>> factories = new ArrayList<>();
        for (ReadPath path : readPaths) {
            factories.add(uringClient(path));
        }
        return factories;
    }

    @Override
    public List<BootstrapFactory<Bootstrap>> clientSocketWithFastOpen() {
        return clientSocket();
    }
}
