package io.ringline.uring;

import io.netty.channel.ChannelException;
import io.ringline.uring.linux.SocketOptions;

import java.io.IOException;

/** The integer and boolean socket options both channel configs expose, with errors as {@link ChannelException}s. */
enum SocketOption {
    SO_REUSEADDR(SocketOptions.SOL_SOCKET, SocketOptions.SO_REUSEADDR),
    SO_REUSEPORT(SocketOptions.SOL_SOCKET, SocketOptions.SO_REUSEPORT),
    SO_KEEPALIVE(SocketOptions.SOL_SOCKET, SocketOptions.SO_KEEPALIVE),
    SO_RCVBUF(SocketOptions.SOL_SOCKET, SocketOptions.SO_RCVBUF),
    SO_SNDBUF(SocketOptions.SOL_SOCKET, SocketOptions.SO_SNDBUF),
    TCP_NODELAY(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_NODELAY),
    TCP_KEEPIDLE(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_KEEPIDLE),
    TCP_KEEPINTVL(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_KEEPINTVL),
    TCP_KEEPCNT(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_KEEPCNT),
    TCP_USER_TIMEOUT(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_USER_TIMEOUT);

    private final int level;
    private final int option;

    SocketOption(int level, int option) {
        this.level = level;
        this.option = option;
    }

    int get(LinuxSocket socket) {
        try {
            return socket.getInt(level, option, name());
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    void set(LinuxSocket socket, int value) {
        switch (this) {
            // Linux would take it and clamp: a negative size becomes the largest buffer (socket(7)). NIO refuses.
            case SO_RCVBUF, SO_SNDBUF -> require(value > 0, value, "> 0");
            // The kernel's bounds (tcp(7): MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT), named rather than
            // left to a bare EINVAL.
            case TCP_KEEPIDLE, TCP_KEEPINTVL -> require(value >= 1 && value <= 32767, value, "1..32767");
            case TCP_KEEPCNT -> require(value >= 1 && value <= 127, value, "1..127");
            case TCP_USER_TIMEOUT -> require(value >= 0, value, ">= 0");
            default -> { }
        }
        try {
            socket.setInt(level, option, value, name());
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    private void require(boolean valid, int value, String expected) {
        if (!valid) {
            throw new IllegalArgumentException(name() + ": " + value + " (expected " + expected + ")");
        }
    }

    boolean isSet(LinuxSocket socket) {
        return get(socket) != 0;
    }

    void set(LinuxSocket socket, boolean value) {
        set(socket, value ? 1 : 0);
    }
}
