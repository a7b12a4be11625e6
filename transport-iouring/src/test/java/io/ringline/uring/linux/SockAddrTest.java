package io.ringline.uring.linux;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

/** The sockaddr codec against the kernel: what a socket is bound to, read back with getsockname(2). */
class SockAddrTest {

    /**
     * {@code new InetSocketAddress(port)}, 0.0.0.0, is what most servers bind to. On a dual-stack socket Java's and
     * Netty's sockets bind it as {@code ::}, which takes IPv6 clients too; the IPv4-mapped {@code ::ffff:0.0.0.0}
     * would bind IPv4 only. No listen(2): bound is enough to read back what the kernel took.
     */
    @Test
    void theIpv4WildcardBindsADualStackSocketToTheIpv6Wildcard() throws Exception {
        InetSocketAddress bound = bindAndReadBack(new InetSocketAddress(0));
        assertThat(bound.getAddress()).isInstanceOf(Inet6Address.class);
        assertThat(bound.getAddress().isAnyLocalAddress()).as("%s is ::", bound).isTrue();
    }

    /** An IPv6 address without a scope reads back as Java's sockets give it: no "%0" zone in its text. */
    @Test
    void anUnscopedIpv6AddressReadsBackWithoutAZone() throws Exception {
        InetSocketAddress bound = bindAndReadBack(new InetSocketAddress(InetAddress.getByName("::1"), 0));
        assertThat(bound.getAddress().getHostAddress()).isEqualTo("0:0:0:0:0:0:0:1");
        assertThat(bound.getAddress()).isEqualTo(InetAddress.getByName("::1"));
    }

    private static InetSocketAddress bindAndReadBack(InetSocketAddress address) {
        int fd = LibC.socket(LibC.AF_INET6, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        assertThat(fd).as("socket(AF_INET6)").isNotNegative();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dualStack = arena.allocateFrom(JAVA_INT, 0);
            assertThat(LibC.setsockopt(fd, SocketOptions.IPPROTO_IPV6, SocketOptions.IPV6_V6ONLY, dualStack, 4))
                    .isZero();
            MemorySegment storage = arena.allocate(SockAddr.STORAGE_SIZE);
            assertThat(LibC.bind(fd, storage, SockAddr.write(storage, LibC.AF_INET6, address))).as("bind").isZero();
            storage.fill((byte) 0);
            MemorySegment length = arena.allocateFrom(JAVA_INT, SockAddr.STORAGE_SIZE);
            assertThat(LibC.getsockname(fd, storage, length)).as("getsockname").isZero();
            return SockAddr.read(storage);
        } finally {
            LibC.close(fd);
        }
    }
}
