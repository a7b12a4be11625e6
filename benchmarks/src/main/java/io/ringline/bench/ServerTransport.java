package io.ringline.bench;

import picocli.CommandLine;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/** The echo-app server variants the runner compares; each maps to echo-app flags. */
public enum ServerTransport {
    RINGLINE("ringline", List.of("--transport", "ringline")),
    /** Ringline with its buffer pool switched off (reads into Netty's allocator): what the pool is worth. */
    RINGLINE_NOPOOL("ringline-nopool", List.of("--transport", "ringline", "--no-buffer-pool")),
    NETTY_IOURING("netty-iouring", List.of("--transport", "netty-iouring")),
    EPOLL("epoll", List.of("--transport", "epoll")),
    NIO("nio", List.of("--transport", "nio")),
    /**
     * Ringline with its pool also registered as fixed buffers, echoes sent with WRITE_FIXED: what registration is
     * worth. Only when asked for by name; not in the default matrix.
     */
    RINGLINE_FIXED("ringline-fixed", List.of("--transport", "ringline", "--registered-buffers"));

    final String cliName;
    final List<String> echoAppArgs;

    ServerTransport(String cliName, List<String> echoAppArgs) {
        this.cliName = cliName;
        this.echoAppArgs = echoAppArgs;
    }

    /** The transports a run compares when {@code --transports} is not given. */
    static List<ServerTransport> defaultMatrix() {
        return List.of(RINGLINE, RINGLINE_NOPOOL, NETTY_IOURING, EPOLL, NIO);
    }

    public String cliName() {
        return cliName;
    }

    /** True for the transport the ratios are taken against (the one this project builds). */
    boolean isRingline() {
        return this == RINGLINE;
    }

    static ServerTransport byName(String name) {
        for (ServerTransport transport : values()) {
            if (transport.cliName.equalsIgnoreCase(name.strip())) {
                return transport;
            }
        }
        throw new CommandLine.TypeConversionException("unknown transport '" + name + "'; expected one of " + names());
    }

    static String names() {
        return Arrays.stream(values()).map(t -> t.cliName).collect(Collectors.joining(", "));
    }

    /** For picocli's --transports. */
    static final class Converter implements CommandLine.ITypeConverter<ServerTransport> {
        @Override
        public ServerTransport convert(String value) {
            return byName(value);
        }
    }
}
