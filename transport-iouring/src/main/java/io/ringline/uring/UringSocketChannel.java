package io.ringline.uring;

/** Skeleton: being written. */
public abstract class UringSocketChannel extends io.netty.channel.AbstractChannel
        implements io.netty.channel.socket.SocketChannel {
    protected UringSocketChannel() { super(null); }
    @Override public java.net.InetSocketAddress localAddress() { return null; }
    @Override public io.netty.channel.socket.ServerSocketChannel parent() { return null; }
    @Override public java.net.InetSocketAddress remoteAddress() { return null; }
}
