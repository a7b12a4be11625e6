package io.ringline.echo;

import io.ringline.uring.UringIoHandlerConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * Command-line echo server, used to compare Ringline with Netty's own transports under the same
 * handler. Exit codes: 1 when the server cannot start, 2 for bad flags; a server stopped by SIGTERM or SIGINT shuts
 * down gracefully and exits as the JVM does on that signal, 143 or 130.
 */
@Command(name = "echo-server", sortOptions = false,
        description = "Echoes every byte it receives, over the chosen Netty transport.")
public final class EchoServer implements Callable<Integer> {

    @Option(names = "--transport", paramLabel = "NAME", defaultValue = "auto", converter = TransportConverter.class,
            description = "ringline, epoll, netty-iouring, nio or auto (default: ${DEFAULT-VALUE}: "
                    + "ringline if io_uring is available, else epoll, else nio).")
    Optional<Transport> transport;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "12345", description = "Port to bind, 0 for any (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
            description = "Event loops; each both accepts and serves (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--registered-buffers",
            description = "Ringline only: also register the buffer pool as fixed buffers, so echoes go out with "
                    + "WRITE_FIXED instead of SEND (not with --no-buffer-pool).")
    boolean registeredBuffers;

    @Option(names = "--no-buffer-pool",
            description = "Ringline only: no buffer pool; reads allocate from Netty's allocator as the other "
                    + "transports' do, for comparison.")
    boolean noBufferPool;

    @Option(names = "--metrics", description = "Ringline only: print the transport's counters at exit.")
    boolean metrics;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the server as {@link #main} would, but returns the exit code instead of exiting. */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** The parser, exposed so tests can redirect its output. */
    static CommandLine commandLine() {
        return new CommandLine(new EchoServer());
    }

    /** The transport's defaults (and system properties), changed only where a flag asks. */
    UringIoHandlerConfig ringlineConfig() {
        UringIoHandlerConfig config = new UringIoHandlerConfig();
        if (registeredBuffers) {
            config.setRegisteredBuffers(true);
        }
        if (noBufferPool) {
            config.setBufferPool(false);
        }
        return config;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (threads < 1) {
            throw new ParameterException(spec.commandLine(), "--threads must be at least 1, not " + threads);
        }
        if (port < 0 || port > 65_535) {
            throw new ParameterException(spec.commandLine(), "--port must be within 0..65535, not " + port);
        }
        if (registeredBuffers && noBufferPool) {
            // Ringline would quietly send without WRITE_FIXED: there is no pool to register.
            throw new ParameterException(spec.commandLine(), "--registered-buffers registers the buffer pool, "
                    + "so it cannot go with --no-buffer-pool");
        }

        TransportSelection selection;
        try {
            selection = TransportSelection.select(transport);
        } catch (TransportSelection.UnavailableException e) {
            err.println(e.getMessage());
            err.flush();
            return 1;
        }
        Transport chosen = selection.transport();
        out.println(selection.describe());
        if (chosen != Transport.RINGLINE && (metrics || registeredBuffers || noBufferPool)) {
            err.println("Note: --metrics, --registered-buffers and --no-buffer-pool apply to ringline only; "
                    + "ignored for " + chosen.cliName() + ".");
        }
        boolean printMetrics = metrics && chosen == Transport.RINGLINE;

        RunningServer server;
        try {
            server = RunningServer.start(chosen, ringlineConfig(), new InetSocketAddress(host, port), threads);
        } catch (Exception e) {
            err.println("Cannot listen on " + host + ":" + port + " with " + chosen.cliName() + ": " + e);
            err.flush();
            return 1;
        }
        // SIGINT/SIGTERM run this hook; the main thread then wakes from awaitClose().
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                if (printMetrics) {
                    out.println("Ringline metrics at exit: " + server.metrics());
                }
            } finally {
                server.close();
                out.println("Echo server (" + chosen.cliName() + ") stopped");
                out.flush();
            }
        }, "echo-server-shutdown"));

        // The benchmark runner waits for "listening" on stdout, so flush right away.
        out.println("Echo server (" + chosen.cliName() + ") listening on " + hostAndPort(server.localAddress()));
        out.flush();
        server.awaitClose();
        return 0;
    }

    private static String hostAndPort(InetSocketAddress address) {
        String host = address.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /** Maps {@code auto} to "no preference" and everything else to a {@link Transport}. */
    static final class TransportConverter implements ITypeConverter<Transport> {
        @Override
        public Transport convert(String value) {
            if ("auto".equalsIgnoreCase(value)) {
                return null; // picocli turns this into Optional.empty()
            }
            try {
                return Transport.forName(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(
                        "expected ringline, epoll, netty-iouring, nio or auto, not '" + value + "'");
            }
        }
    }
}
