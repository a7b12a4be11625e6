package io.ringline.uring.linux;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * Codecs between {@link InetSocketAddress} and {@code struct sockaddr_in} / {@code struct sockaddr_in6} (ip(7),
 * ipv6(7)). An IPv4 address written into an IPv6 socket's sockaddr becomes the IPv4-mapped {@code ::ffff:a.b.c.d}
 * (but for the wildcard 0.0.0.0, which becomes {@code ::}), and such an address reads back as the plain IPv4 one, so
 * dual-stack sockets look like IPv4 ones to users.
 */
public final class SockAddr {
    private SockAddr() { }

    /** {@code sizeof(struct sockaddr_storage)}: room for any address. */
    public static final int STORAGE_SIZE = 128;
    public static final int IPV4_SIZE = 16;
    public static final int IPV6_SIZE = 28;

    private static final ValueLayout.OfShort PORT = JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final long FAMILY = 0;
    private static final long PORT_OFFSET = 2;
    private static final long IPV4_ADDRESS = 4;
    private static final long IPV6_FLOWINFO = 4;
    private static final long IPV6_ADDRESS = 8;
    private static final long IPV6_SCOPE_ID = 24;

    /**
     * Writes {@code address} as the sockaddr a socket of {@code family} takes, and returns its length.
     *
     * @throws IllegalArgumentException for an IPv6 address and an IPv4 socket, or an unresolved address
     */
    public static int write(MemorySegment storage, int family, InetSocketAddress address) {
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("unresolved address: " + address);
        }
        InetAddress ip = address.getAddress();
        storage.asSlice(0, family == LibC.AF_INET6 ? IPV6_SIZE : IPV4_SIZE).fill((byte) 0);
        storage.set(JAVA_SHORT_UNALIGNED, FAMILY, (short) family);
        storage.set(PORT, PORT_OFFSET, (short) address.getPort());
        byte[] bytes = ip.getAddress();
        if (family == LibC.AF_INET) {
            if (bytes.length != 4) {
                throw new IllegalArgumentException("IPv6 address on an IPv4 socket: " + address);
            }
            MemorySegment.copy(bytes, 0, storage, JAVA_BYTE, IPV4_ADDRESS, 4);
            return IPV4_SIZE;
        }
        if (bytes.length == 4 && ip.isAnyLocalAddress()) {
            // 0.0.0.0 stays ::, all zeros, as Java's and Netty's sockets bind it: ::ffff:0.0.0.0 would take IPv4 only
        } else if (bytes.length == 4) {
            storage.set(JAVA_BYTE, IPV6_ADDRESS + 10, (byte) 0xff);
            storage.set(JAVA_BYTE, IPV6_ADDRESS + 11, (byte) 0xff);
            MemorySegment.copy(bytes, 0, storage, JAVA_BYTE, IPV6_ADDRESS + 12, 4);
        } else {
            MemorySegment.copy(bytes, 0, storage, JAVA_BYTE, IPV6_ADDRESS, 16);
            if (ip instanceof Inet6Address v6) {
                storage.set(JAVA_INT_UNALIGNED, IPV6_SCOPE_ID, v6.getScopeId());
            }
        }
        storage.set(JAVA_INT_UNALIGNED, IPV6_FLOWINFO, 0);
        return IPV6_SIZE;
    }

    /** Reads the sockaddr at {@code storage}; {@code null} for a family other than AF_INET/AF_INET6. */
    public static InetSocketAddress read(MemorySegment storage) {
        int family = storage.get(JAVA_SHORT_UNALIGNED, FAMILY);
        int port = Short.toUnsignedInt(storage.get(PORT, PORT_OFFSET));
        try {
            if (family == LibC.AF_INET) {
                byte[] bytes = new byte[4];
                MemorySegment.copy(storage, JAVA_BYTE, IPV4_ADDRESS, bytes, 0, 4);
                return new InetSocketAddress(Inet4Address.getByAddress(bytes), port);
            }
            if (family == LibC.AF_INET6) {
                byte[] bytes = new byte[16];
                MemorySegment.copy(storage, JAVA_BYTE, IPV6_ADDRESS, bytes, 0, 16);
                if (isIpv4Mapped(bytes)) {
                    byte[] v4 = {bytes[12], bytes[13], bytes[14], bytes[15]};
                    return new InetSocketAddress(Inet4Address.getByAddress(v4), port);
                }
                int scopeId = storage.get(JAVA_INT_UNALIGNED, IPV6_SCOPE_ID);
                // Scope 0 is none: read as Java's sockets read it, with no "%0" zone in the address's text.
                return new InetSocketAddress(scopeId == 0 ? InetAddress.getByAddress(bytes)
                        : Inet6Address.getByAddress(null, bytes, scopeId), port);
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException("address of illegal length", e); // cannot happen: lengths are fixed
        }
        return null;
    }

    private static boolean isIpv4Mapped(byte[] v6) {
        for (int i = 0; i < 10; i++) {
            if (v6[i] != 0) {
                return false;
            }
        }
        return v6[10] == (byte) 0xff && v6[11] == (byte) 0xff;
    }
}
