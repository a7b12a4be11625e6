package io.ringline.bench;

import java.net.InetSocketAddress;

/**
 * What a load client does: {@code connections} connections to {@code address}, each writing
 * {@code length} bytes and waiting for exactly those bytes to come back, {@code requestsPerConnection}
 * times ({@link #UNLIMITED} until stopped).
 */
public record LoadSpec(InetSocketAddress address, int connections, int length, long requestsPerConnection) {
    public static final long UNLIMITED = Long.MAX_VALUE;

    public LoadSpec {
        if (!address.getAddress().isLoopbackAddress()) {
            throw new IllegalArgumentException("refusing to send load to a non-loopback address: " + address);
        }
        if (connections < 1) {
            throw new IllegalArgumentException("connections must be at least 1, got " + connections);
        }
        if (length < 1) {
            throw new IllegalArgumentException("length must be at least 1, got " + length);
        }
        if (requestsPerConnection < 1) {
            throw new IllegalArgumentException("requestsPerConnection must be at least 1, got " + requestsPerConnection);
        }
    }

    /** Endless ping-pong until stopped. */
    public static LoadSpec continuous(InetSocketAddress address, int connections, int length) {
        return new LoadSpec(address, connections, length, UNLIMITED);
    }
}
