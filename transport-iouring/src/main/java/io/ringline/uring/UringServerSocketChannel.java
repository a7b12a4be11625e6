package io.ringline.uring;

/** Skeleton: being written. */
public abstract class UringServerSocketChannel extends io.netty.channel.AbstractServerChannel
        implements io.netty.channel.socket.ServerSocketChannel {
    @Override public java.net.InetSocketAddress localAddress() { return null; }
    @Override public java.net.InetSocketAddress remoteAddress() { return null; }
}
