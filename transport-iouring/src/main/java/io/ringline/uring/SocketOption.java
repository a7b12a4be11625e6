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
    TCP_NODELAY(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_NODELAY);

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
        if ((this == SO_RCVBUF || this == SO_SNDBUF) && value <= 0) {
            // Linux would take it and clamp: a negative size becomes the largest buffer (socket(7)). NIO refuses.
            throw new IllegalArgumentException(name() + ": " + value + " (expected > 0)");
        }
        try {
            socket.setInt(level, option, value, name());
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    boolean isSet(LinuxSocket socket) {
        return get(socket) != 0;
    }

    void set(LinuxSocket socket, boolean value) {
        set(socket, value ? 1 : 0);
    }
}
