package io.ringline.uring;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannelConfig;

import java.io.IOException;
import java.util.Map;

import static io.netty.channel.ChannelOption.ALLOW_HALF_CLOSURE;
import static io.netty.channel.ChannelOption.IP_TOS;
import static io.netty.channel.ChannelOption.SO_KEEPALIVE;
import static io.netty.channel.ChannelOption.SO_LINGER;
import static io.netty.channel.ChannelOption.SO_RCVBUF;
import static io.netty.channel.ChannelOption.SO_REUSEADDR;
import static io.netty.channel.ChannelOption.SO_SNDBUF;
import static io.netty.channel.ChannelOption.TCP_NODELAY;

/** The options of a {@link UringSocketChannel}: Netty's standard socket options plus {@code SO_REUSEPORT}. */
public final class UringSocketChannelConfig extends DefaultChannelConfig implements SocketChannelConfig {
    private final UringSocketChannel channel;
    private final LinuxSocket socket;
    private volatile boolean allowHalfClosure;

    UringSocketChannelConfig(UringSocketChannel channel) {
        super(channel);
        this.channel = channel;
        this.socket = channel.socket;
        setTcpNoDelay(true); // as Netty's NIO and epoll channels default
    }

    @Override
    public Map<ChannelOption<?>, Object> getOptions() {
        return getOptions(super.getOptions(), SO_RCVBUF, SO_SNDBUF, TCP_NODELAY, SO_KEEPALIVE, SO_REUSEADDR,
                SO_LINGER, IP_TOS, ALLOW_HALF_CLOSURE, UringChannelOption.SO_REUSEPORT, UringChannelOption.TCP_KEEPIDLE,
                UringChannelOption.TCP_KEEPINTVL, UringChannelOption.TCP_KEEPCNT, UringChannelOption.TCP_USER_TIMEOUT);
    }

    @SuppressWarnings("unchecked")
    @Override
    public <T> T getOption(ChannelOption<T> option) {
        if (option == SO_RCVBUF) {
            return (T) Integer.valueOf(getReceiveBufferSize());
        }
        if (option == SO_SNDBUF) {
            return (T) Integer.valueOf(getSendBufferSize());
        }
        if (option == TCP_NODELAY) {
            return (T) Boolean.valueOf(isTcpNoDelay());
        }
        if (option == SO_KEEPALIVE) {
            return (T) Boolean.valueOf(isKeepAlive());
        }
        if (option == SO_REUSEADDR) {
            return (T) Boolean.valueOf(isReuseAddress());
        }
        if (option == SO_LINGER) {
            return (T) Integer.valueOf(getSoLinger());
        }
        if (option == IP_TOS) {
            return (T) Integer.valueOf(getTrafficClass());
        }
        if (option == ALLOW_HALF_CLOSURE) {
            return (T) Boolean.valueOf(isAllowHalfClosure());
        }
        if (option == UringChannelOption.SO_REUSEPORT) {
            return (T) Boolean.valueOf(isReusePort());
        }
        if (option == UringChannelOption.TCP_KEEPIDLE) {
            return (T) Integer.valueOf(getTcpKeepIdle());
        }
        if (option == UringChannelOption.TCP_KEEPINTVL) {
            return (T) Integer.valueOf(getTcpKeepIntvl());
        }
        if (option == UringChannelOption.TCP_KEEPCNT) {
            return (T) Integer.valueOf(getTcpKeepCnt());
        }
        if (option == UringChannelOption.TCP_USER_TIMEOUT) {
            return (T) Integer.valueOf(getTcpUserTimeout());
        }
        return super.getOption(option);
    }

    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
        validate(option, value);
        if (option == SO_RCVBUF) {
            setReceiveBufferSize((Integer) value);
        } else if (option == SO_SNDBUF) {
            setSendBufferSize((Integer) value);
        } else if (option == TCP_NODELAY) {
            setTcpNoDelay((Boolean) value);
        } else if (option == SO_KEEPALIVE) {
            setKeepAlive((Boolean) value);
        } else if (option == SO_REUSEADDR) {
            setReuseAddress((Boolean) value);
        } else if (option == SO_LINGER) {
            setSoLinger((Integer) value);
        } else if (option == IP_TOS) {
            setTrafficClass((Integer) value);
        } else if (option == ALLOW_HALF_CLOSURE) {
            setAllowHalfClosure((Boolean) value);
        } else if (option == UringChannelOption.SO_REUSEPORT) {
            setReusePort((Boolean) value);
        } else if (option == UringChannelOption.TCP_KEEPIDLE) {
            setTcpKeepIdle((Integer) value);
        } else if (option == UringChannelOption.TCP_KEEPINTVL) {
            setTcpKeepIntvl((Integer) value);
        } else if (option == UringChannelOption.TCP_KEEPCNT) {
            setTcpKeepCnt((Integer) value);
        } else if (option == UringChannelOption.TCP_USER_TIMEOUT) {
            setTcpUserTimeout((Integer) value);
        } else {
            return super.setOption(option, value);
        }
        return true;
    }

    @Override
    public boolean isTcpNoDelay() {
        return SocketOption.TCP_NODELAY.isSet(socket);
    }

    @Override
    public UringSocketChannelConfig setTcpNoDelay(boolean tcpNoDelay) {
        SocketOption.TCP_NODELAY.set(socket, tcpNoDelay);
        return this;
    }

    @Override
    public int getSoLinger() {
        try {
            return socket.getLinger();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    @Override
    public UringSocketChannelConfig setSoLinger(int soLinger) {
        try {
            socket.setLinger(soLinger);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
        return this;
    }

    @Override
    public int getSendBufferSize() {
        return SocketOption.SO_SNDBUF.get(socket);
    }

    @Override
    public UringSocketChannelConfig setSendBufferSize(int sendBufferSize) {
        SocketOption.SO_SNDBUF.set(socket, sendBufferSize);
        return this;
    }

    @Override
    public int getReceiveBufferSize() {
        return SocketOption.SO_RCVBUF.get(socket);
    }

    @Override
    public UringSocketChannelConfig setReceiveBufferSize(int receiveBufferSize) {
        SocketOption.SO_RCVBUF.set(socket, receiveBufferSize);
        return this;
    }

    @Override
    public boolean isKeepAlive() {
        return SocketOption.SO_KEEPALIVE.isSet(socket);
    }

    @Override
    public UringSocketChannelConfig setKeepAlive(boolean keepAlive) {
        SocketOption.SO_KEEPALIVE.set(socket, keepAlive);
        return this;
    }

    @Override
    public int getTrafficClass() {
        try {
            return socket.getTrafficClass();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    @Override
    public UringSocketChannelConfig setTrafficClass(int trafficClass) {
        if (trafficClass < 0 || trafficClass > 255) { // one byte (ip(7)); Linux would take -1 and NIO refuses it
            throw new IllegalArgumentException("IP_TOS: " + trafficClass + " (expected 0-255)");
        }
        try {
            socket.setTrafficClass(trafficClass);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
        return this;
    }

    @Override
    public boolean isReuseAddress() {
        return SocketOption.SO_REUSEADDR.isSet(socket);
    }

    @Override
    public UringSocketChannelConfig setReuseAddress(boolean reuseAddress) {
        SocketOption.SO_REUSEADDR.set(socket, reuseAddress);
        return this;
    }

    public boolean isReusePort() {
        return SocketOption.SO_REUSEPORT.isSet(socket);
    }

    public UringSocketChannelConfig setReusePort(boolean reusePort) {
        SocketOption.SO_REUSEPORT.set(socket, reusePort);
        return this;
    }

    /** {@link UringChannelOption#TCP_KEEPIDLE}: seconds idle before the first keepalive probe. */
    public int getTcpKeepIdle() {
        return SocketOption.TCP_KEEPIDLE.get(socket);
    }

    public UringSocketChannelConfig setTcpKeepIdle(int seconds) {
        SocketOption.TCP_KEEPIDLE.set(socket, seconds);
        return this;
    }

    /** {@link UringChannelOption#TCP_KEEPINTVL}: seconds between keepalive probes. */
    public int getTcpKeepIntvl() {
        return SocketOption.TCP_KEEPINTVL.get(socket);
    }

    public UringSocketChannelConfig setTcpKeepIntvl(int seconds) {
        SocketOption.TCP_KEEPINTVL.set(socket, seconds);
        return this;
    }

    /** {@link UringChannelOption#TCP_KEEPCNT}: unanswered probes before the connection is dropped. */
    public int getTcpKeepCnt() {
        return SocketOption.TCP_KEEPCNT.get(socket);
    }

    public UringSocketChannelConfig setTcpKeepCnt(int probes) {
        SocketOption.TCP_KEEPCNT.set(socket, probes);
        return this;
    }

    /** {@link UringChannelOption#TCP_USER_TIMEOUT}: milliseconds data may stay unacknowledged; 0 for the system's. */
    public int getTcpUserTimeout() {
        return SocketOption.TCP_USER_TIMEOUT.get(socket);
    }

    public UringSocketChannelConfig setTcpUserTimeout(int millis) {
        SocketOption.TCP_USER_TIMEOUT.set(socket, millis);
        return this;
    }

    /** Ignored, as by Netty's NIO and epoll channels: Linux has no such knob. */
    @Override
    public UringSocketChannelConfig setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
        return this;
    }

    @Override
    public boolean isAllowHalfClosure() {
        return allowHalfClosure;
    }

    @Override
    public UringSocketChannelConfig setAllowHalfClosure(boolean allowHalfClosure) {
        this.allowHalfClosure = allowHalfClosure;
        return this;
    }

    @Override
    protected void autoReadCleared() {
        channel.autoReadCleared();
    }

    // Covariant returns, as SocketChannelConfig requires.

    @Override
    public UringSocketChannelConfig setConnectTimeoutMillis(int connectTimeoutMillis) {
        super.setConnectTimeoutMillis(connectTimeoutMillis);
        return this;
    }

    @Override
    @Deprecated
    public UringSocketChannelConfig setMaxMessagesPerRead(int maxMessagesPerRead) {
        super.setMaxMessagesPerRead(maxMessagesPerRead);
        return this;
    }

    @Override
    public UringSocketChannelConfig setWriteSpinCount(int writeSpinCount) {
        super.setWriteSpinCount(writeSpinCount);
        return this;
    }

    @Override
    public UringSocketChannelConfig setAllocator(ByteBufAllocator allocator) {
        super.setAllocator(allocator);
        return this;
    }

    @Override
    public UringSocketChannelConfig setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
        super.setRecvByteBufAllocator(allocator);
        return this;
    }

    @Override
    public UringSocketChannelConfig setAutoRead(boolean autoRead) {
        super.setAutoRead(autoRead);
        return this;
    }

    @Override
    public UringSocketChannelConfig setAutoClose(boolean autoClose) {
        super.setAutoClose(autoClose);
        return this;
    }

    @Override
    public UringSocketChannelConfig setMessageSizeEstimator(MessageSizeEstimator estimator) {
        super.setMessageSizeEstimator(estimator);
        return this;
    }

    @Override
    public UringSocketChannelConfig setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
        super.setWriteBufferWaterMark(writeBufferWaterMark);
        return this;
    }

    @Override
    @Deprecated
    public UringSocketChannelConfig setWriteBufferHighWaterMark(int writeBufferHighWaterMark) {
        super.setWriteBufferHighWaterMark(writeBufferHighWaterMark);
        return this;
    }

    @Override
    @Deprecated
    public UringSocketChannelConfig setWriteBufferLowWaterMark(int writeBufferLowWaterMark) {
        super.setWriteBufferLowWaterMark(writeBufferLowWaterMark);
        return this;
    }
}
