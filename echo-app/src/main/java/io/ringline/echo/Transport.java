package io.ringline.echo;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.ringline.uring.Uring;
import io.ringline.uring.UringIoHandler;
import io.ringline.uring.UringIoHandlerConfig;
import io.ringline.uring.UringServerSocketChannel;

import java.util.Arrays;
import java.util.Locale;

/**
 * The transports the echo server can run on. Each one is exactly the two things a Netty user changes
 * to switch transports: the event loop's I/O handler and the server channel class.
 */
public enum Transport {
    RINGLINE("ringline") {
        @Override
        public Throwable unavailabilityCause() {
            return Uring.isAvailable() ? null : Uring.unavailabilityCause();
        }

        @Override
        public IoHandlerFactory ioHandlerFactory(UringIoHandlerConfig ringlineConfig) {
            return UringIoHandler.newFactory(ringlineConfig);
        }

        @Override
        public Class<? extends ServerSocketChannel> serverChannelClass() {
            return UringServerSocketChannel.class;
        }
    },

    EPOLL("epoll") {
        @Override
        public Throwable unavailabilityCause() {
            return Epoll.isAvailable() ? null : Epoll.unavailabilityCause();
        }

        @Override
        public IoHandlerFactory ioHandlerFactory(UringIoHandlerConfig ringlineConfig) {
            return EpollIoHandler.newFactory();
        }

        @Override
        public Class<? extends ServerSocketChannel> serverChannelClass() {
            return EpollServerSocketChannel.class;
        }
    },

    NETTY_IOURING("netty-iouring") {
        @Override
        public Throwable unavailabilityCause() {
            return IoUring.isAvailable() ? null : IoUring.unavailabilityCause();
        }

        @Override
        public IoHandlerFactory ioHandlerFactory(UringIoHandlerConfig ringlineConfig) {
            return IoUringIoHandler.newFactory();
        }

        @Override
        public Class<? extends ServerSocketChannel> serverChannelClass() {
            return IoUringServerSocketChannel.class;
        }
    },

    NIO("nio") {
        @Override
        public Throwable unavailabilityCause() {
            return null;
        }

        @Override
        public IoHandlerFactory ioHandlerFactory(UringIoHandlerConfig ringlineConfig) {
            return NioIoHandler.newFactory();
        }

        @Override
        public Class<? extends ServerSocketChannel> serverChannelClass() {
            return NioServerSocketChannel.class;
        }
    };

    private final String cliName;

    Transport(String cliName) {
        this.cliName = cliName;
    }

    /** The name used on the command line and in output. */
    public String cliName() {
        return cliName;
    }

    /** Why this transport cannot run here, or {@code null} when it can. */
    public abstract Throwable unavailabilityCause();

    public boolean isAvailable() {
        return unavailabilityCause() == null;
    }

    /** @param ringlineConfig Ringline's event loop settings; the other transports ignore it */
    public abstract IoHandlerFactory ioHandlerFactory(UringIoHandlerConfig ringlineConfig);

    public abstract Class<? extends ServerSocketChannel> serverChannelClass();

    /** Looks a transport up by its {@linkplain #cliName() command-line name}, ignoring case. */
    public static Transport forName(String name) {
        String wanted = name.toLowerCase(Locale.ROOT);
        return Arrays.stream(values())
                .filter(t -> t.cliName.equals(wanted))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown transport '" + name + "'"));
    }
}
