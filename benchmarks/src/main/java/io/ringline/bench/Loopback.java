package io.ringline.bench;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Parses {@code host:port} for the load tools and insists on a loopback host: these tools generate
 * heavy traffic and must never aim it at another machine. Only IP literals and "localhost" are
 * accepted, so parsing never triggers a DNS query.
 */
final class Loopback {
    private Loopback() {
    }

    static InetSocketAddress parse(String hostAndPort) {
        int colon = hostAndPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostAndPort.length() - 1) {
            throw new IllegalArgumentException("expected host:port, got '" + hostAndPort + "'");
        }
        String host = hostAndPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(hostAndPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in '" + hostAndPort + "'");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range in '" + hostAndPort + "'");
        }
        InetAddress address;
        if (host.equalsIgnoreCase("localhost")) {
            address = InetAddress.getLoopbackAddress();
        } else {
            try {
                address = InetAddress.ofLiteral(host);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("host must be an IP literal or localhost, got '" + host + "'");
            }
        }
        if (!address.isLoopbackAddress()) {
            throw new IllegalArgumentException("refusing to send load to non-loopback address " + host
                    + ": these benchmarks only ever target this machine (127.0.0.0/8 or ::1)");
        }
        return new InetSocketAddress(address, port);
    }

    /** {@code 127.0.0.1:port} spelled the way the tools print and parse it. */
    static String format(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
