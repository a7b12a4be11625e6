package io.ringline.bench.jmh;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.ringline.bench.EchoHandler;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Loopback ping-pong: a plain blocking socket in the benchmark thread sends {@code size} bytes to a
 * one-loop Netty echo server on {@code transport} and waits for them to come back. The client is the
 * same for every transport, so differences are the server transport's (plus the kernel's loopback).
 * Each benchmark thread has a connection of its own ({@link Connection}), so with {@code -t N} the one
 * server loop serves N ping-pongs at once and the score is still one round trip.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar org.openjdk.jmh.Main PingPong}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class PingPongBenchmark {
    /** A dead server fails the benchmark instead of hanging it. */
    private static final int READ_TIMEOUT_MILLIS = 5_000;

    @Param({"ringline", "ringline-nopool", "ringline-fixed", "netty-iouring", "epoll", "nio"})
    public String transport;

    @Param({"512"})
    public int size;

    private EventLoopGroup group;
    private Channel server;

    @Setup(Level.Trial)
    public void start() throws Exception {
        PeerTransport peer = PeerTransport.byName(transport);
        group = new MultiThreadIoEventLoopGroup(1, peer.ioHandlerFactory.get());
        server = new ServerBootstrap()
                .group(group)
                .channel(peer.serverChannel)
                .childHandler(EchoHandler.INSTANCE)
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .sync()
                .channel();
    }

    @Benchmark
    public byte roundTrip(Connection connection) throws IOException {
        connection.out.write(connection.request);
        connection.in.readFully(connection.response);
        return connection.response[size - 1];
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        server.close().sync();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    /** One benchmark thread's connection to the server: its round trips never meet another thread's. */
    @State(Scope.Thread)
    public static class Connection {
        private Socket client;
        private OutputStream out;
        private DataInputStream in;
        byte[] request; // package-private: the smoke test compares the echo
        byte[] response;

        @Setup(Level.Trial)
        public void connect(PingPongBenchmark benchmark) throws IOException {
            client = new Socket();
            client.setTcpNoDelay(true);
            client.setSoTimeout(READ_TIMEOUT_MILLIS);
            client.connect(benchmark.server.localAddress());
            out = client.getOutputStream();
            in = new DataInputStream(client.getInputStream());
            request = new byte[benchmark.size];
            Arrays.fill(request, (byte) 'r');
            response = new byte[benchmark.size];
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            client.close();
        }
    }
}
