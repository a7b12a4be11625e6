package io.ringline.uring;

import io.ringline.uring.linux.Errno;
import io.ringline.uring.linux.LibC;
import io.ringline.uring.linux.SockAddr;
import io.ringline.uring.linux.SocketOptions;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * A TCP socket fd and the blocking-free system calls Ringline makes on it directly (everything that waits goes
 * through the ring). Sockets are IPv6 dual-stack where the host has IPv6, so one socket serves both families.
 */
final class LinuxSocket {
    private static final boolean IPV6 = probeIpv6();

    private final int fd;
    private final int family;
    private volatile boolean closed;

    LinuxSocket(int fd, int family) {
        this.fd = fd;
        this.family = family;
    }

    private static boolean probeIpv6() {
        int fd = LibC.socket(LibC.AF_INET6, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            return false;
        }
        LibC.close(fd);
        return true;
    }

    /** A new non-blocking TCP socket, dual-stack where IPv6 exists. */
    static LinuxSocket newStream() throws IOException {
        int family = IPV6 ? LibC.AF_INET6 : LibC.AF_INET;
        int fd = Errno.check("socket", LibC.socket(family, LibC.SOCK_STREAM | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, 0));
        LinuxSocket socket = new LinuxSocket(fd, family);
        if (family == LibC.AF_INET6) {
            try {
                socket.setInt(SocketOptions.IPPROTO_IPV6, SocketOptions.IPV6_V6ONLY, 0, "IPV6_V6ONLY");
            } catch (IOException e) {
                LibC.close(fd); // nobody else will: the caller gets no socket
                throw e;
            }
        }
        return socket;
    }

    /** An accepted connection of a listening socket of {@code family}. */
    static LinuxSocket accepted(int fd, int family) {
        return new LinuxSocket(fd, family);
    }

    int fd() {
        return fd;
    }

    int family() {
        return family;
    }

    boolean isOpen() {
        return !closed;
    }

    /** Writes {@code address} as this socket's sockaddr into {@code storage}; returns its length. */
    int writeAddress(MemorySegment storage, InetSocketAddress address) {
        return SockAddr.write(storage, family, address);
    }

    void bind(InetSocketAddress address) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment storage = arena.allocate(SockAddr.STORAGE_SIZE);
            int length = writeAddress(storage, address);
            Errno.check("bind(" + address + ")", LibC.bind(fd, storage, length));
        }
    }

    void listen(int backlog) throws IOException {
        Errno.check("listen", LibC.listen(fd, backlog));
    }

    InetSocketAddress localAddress() {
        return address(true);
    }

    InetSocketAddress remoteAddress() {
        return address(false);
    }

    /**
     * The peer's comes from SO_PEERNAME, not getpeername(2): getpeername fails with ENOTCONN once the peer reset the
     * connection, also one reset while it waited to be accepted, whose peer accept(2) (and so NIO and epoll) still
     * reports. SO_PEERNAME answers as accept does (socket(7)); it takes no longer a buffer than the family's sockaddr
     * (else EINVAL), and still gives ENOTCONN for a socket that never connected.
     */
    private InetSocketAddress address(boolean local) {
        if (closed) {
            return null;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment storage = arena.allocate(SockAddr.STORAGE_SIZE);
            int ret;
            if (local) {
                ret = LibC.getsockname(fd, storage, arena.allocateFrom(JAVA_INT, SockAddr.STORAGE_SIZE));
            } else {
                int size = family == LibC.AF_INET6 ? SockAddr.IPV6_SIZE : SockAddr.IPV4_SIZE;
                ret = LibC.getsockopt(fd, SocketOptions.SOL_SOCKET, SocketOptions.SO_PEERNAME, storage,
                        arena.allocateFrom(JAVA_INT, size));
            }
            return ret < 0 ? null : SockAddr.read(storage);
        }
    }

    void shutdown(boolean input, boolean output) throws IOException {
        ensureOpen();
        int how = input && output ? LibC.SHUT_RDWR : input ? LibC.SHUT_RD : LibC.SHUT_WR;
        int ret = LibC.shutdown(fd, how);
        if (ret < 0) {
            if (-ret == Errno.ENOTCONN) {
                throw new java.nio.channels.NotYetConnectedException();
            }
            throw Errno.newIOException("shutdown", -ret);
        }
    }

    void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        Errno.check("close", LibC.close(fd));
    }

    /** Never use a closed socket's fd number (shutdown, options): it may belong to another file by now. */
    private void ensureOpen() throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
    }

    void setInt(int level, int option, int value, String name) throws IOException {
        ensureOpen();
        try (Arena arena = Arena.ofConfined()) {
            Errno.check("setsockopt(" + name + ", " + value + ")",
                    LibC.setsockopt(fd, level, option, arena.allocateFrom(JAVA_INT, value), 4));
        }
    }

    int getInt(int level, int option, String name) throws IOException {
        ensureOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(JAVA_INT, 2); // room for struct linger too
            MemorySegment length = arena.allocateFrom(JAVA_INT, (int) value.byteSize());
            Errno.check("getsockopt(" + name + ")", LibC.getsockopt(fd, level, option, value, length));
            return value.get(JAVA_INT, 0);
        }
    }

    void setBoolean(int level, int option, boolean value, String name) throws IOException {
        setInt(level, option, value ? 1 : 0, name);
    }

    boolean getBoolean(int level, int option, String name) throws IOException {
        return getInt(level, option, name) != 0;
    }

    /** SO_LINGER: {@code seconds < 0} turns lingering off. */
    void setLinger(int seconds) throws IOException {
        ensureOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment linger = arena.allocate(JAVA_INT, 2); // struct linger { int l_onoff; int l_linger; }
            linger.set(JAVA_INT, 0, seconds >= 0 ? 1 : 0);
            linger.set(JAVA_INT, 4, Math.max(seconds, 0));
            Errno.check("setsockopt(SO_LINGER, " + seconds + ")",
                    LibC.setsockopt(fd, SocketOptions.SOL_SOCKET, SocketOptions.SO_LINGER, linger, 8));
        }
    }

    int getLinger() throws IOException {
        ensureOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment linger = arena.allocate(JAVA_INT, 2);
            MemorySegment length = arena.allocateFrom(JAVA_INT, 8);
            Errno.check("getsockopt(SO_LINGER)",
                    LibC.getsockopt(fd, SocketOptions.SOL_SOCKET, SocketOptions.SO_LINGER, linger, length));
            return linger.get(JAVA_INT, 0) == 0 ? -1 : linger.get(JAVA_INT, 4);
        }
    }

    /** IP_TOS, and IPV6_TCLASS on IPv6 sockets (which carry IPv4-mapped traffic too). */
    void setTrafficClass(int value) throws IOException {
        setInt(SocketOptions.IPPROTO_IP, SocketOptions.IP_TOS, value, "IP_TOS");
        if (family == LibC.AF_INET6) {
            setInt(SocketOptions.IPPROTO_IPV6, SocketOptions.IPV6_TCLASS, value, "IPV6_TCLASS");
        }
    }

    int getTrafficClass() throws IOException {
        return family == LibC.AF_INET6
                ? getInt(SocketOptions.IPPROTO_IPV6, SocketOptions.IPV6_TCLASS, "IPV6_TCLASS")
                : getInt(SocketOptions.IPPROTO_IP, SocketOptions.IP_TOS, "IP_TOS");
    }

    /** SO_ERROR: the pending socket error, cleared by reading it. */
    int soError() throws IOException {
        return getInt(SocketOptions.SOL_SOCKET, SocketOptions.SO_ERROR, "SO_ERROR");
    }

    @Override
    public String toString() {
        return "fd " + fd;
    }
}
