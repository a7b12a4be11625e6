package io.ringline.echo;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.ringline.uring.Uring;
import io.ringline.uring.UringIoHandlerConfig;
import io.ringline.uring.UringMetrics;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** A bound echo server and the event loops it owns; {@link #close()} shuts both down. */
public final class RunningServer implements AutoCloseable {
    /** Long enough for in-flight echoes to drain, short enough that a benchmark run stops promptly. */
    private static final long QUIET_PERIOD_MILLIS = 100;
    private static final long SHUTDOWN_TIMEOUT_MILLIS = 5_000;

    private final Transport transport;
    private final EventLoopGroup group;
    private final Channel serverChannel;

    private RunningServer(Transport transport, EventLoopGroup group, Channel serverChannel) {
        this.transport = transport;
        this.group = group;
        this.serverChannel = serverChannel;
    }

    /**
     * Binds an echo server. One group both accepts and serves: with the default single thread, one
     * loop does all the work, which is what the benchmarks compare.
     *
     * @param ringlineConfig Ringline only: its event loops' configuration; the other transports ignore it
     * @throws Exception whatever binding threw, e.g. a {@link java.net.BindException}
     */
    public static RunningServer start(Transport transport, UringIoHandlerConfig ringlineConfig,
                                      InetSocketAddress address, int threads) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, transport.ioHandlerFactory(ringlineConfig));
        try {
            Channel channel = new ServerBootstrap()
                    .group(group, group)
                    .channel(transport.serverChannelClass())
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    // The handler closes a half-closed connection once its echoes are out.
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childHandler(EchoHandler.INSTANCE)
                    .bind(address)
                    .sync()
                    .channel();
            return new RunningServer(transport, group, channel);
        } catch (Throwable t) {
            group.shutdownGracefully(0, SHUTDOWN_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS).awaitUninterruptibly();
            throw t;
        }
    }

    public Transport transport() {
        return transport;
    }

    /** The bound address, with the real port when port 0 was asked for. */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** Ringline's counters; call it before {@link #close()}, while the loops still run. */
    public UringMetrics metrics() {
        if (transport != Transport.RINGLINE) {
            throw new IllegalStateException("only the ringline transport has metrics, not " + transport.cliName());
        }
        return Uring.metrics(group);
    }

    /** Blocks until the server socket closes, which happens when {@link #close()} runs. */
    public void awaitClose() {
        serverChannel.closeFuture().awaitUninterruptibly();
    }

    /** Shuts the loops down gracefully and waits for them; safe to call more than once. */
    @Override
    public void close() {
        group.shutdownGracefully(QUIET_PERIOD_MILLIS, SHUTDOWN_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
                .awaitUninterruptibly(2 * SHUTDOWN_TIMEOUT_MILLIS);
    }
}
