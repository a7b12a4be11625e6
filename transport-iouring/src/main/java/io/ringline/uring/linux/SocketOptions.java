package io.ringline.uring.linux;

/** Levels and names for setsockopt(2)/getsockopt(2): socket(7), tcp(7), ip(7), ipv6(7). */
public final class SocketOptions {
    private SocketOptions() { }

    public static final int SOL_SOCKET = 1;
    public static final int SO_REUSEADDR = 2;
    public static final int SO_ERROR = 4;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    public static final int SO_KEEPALIVE = 9;
    public static final int SO_LINGER = 13;
    public static final int SO_REUSEPORT = 15;
    /** The peer's address, as accept(2) gives it: also for a connection the peer has reset. */
    public static final int SO_PEERNAME = 28;

    public static final int IPPROTO_IP = 0;
    public static final int IP_TOS = 1;

    public static final int IPPROTO_TCP = 6;
    public static final int TCP_NODELAY = 1;
    public static final int TCP_KEEPIDLE = 4;
    public static final int TCP_KEEPINTVL = 5;
    public static final int TCP_KEEPCNT = 6;
    public static final int TCP_USER_TIMEOUT = 18;

    public static final int IPPROTO_IPV6 = 41;
    public static final int IPV6_V6ONLY = 26;
    public static final int IPV6_TCLASS = 67;
}
