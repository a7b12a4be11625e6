package io.ringline.uring.linux;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;

/** errno values (asm-generic/errno-base.h, errno.h) and their mapping to Java exceptions. */
public final class Errno {
    private Errno() { }

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int EINVAL = 22;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int EPIPE = 32;
    public static final int ENOSYS = 38;
    public static final int ETIME = 62;
    public static final int ENOTSOCK = 88;
    public static final int EOPNOTSUPP = 95;
    public static final int EAFNOSUPPORT = 97;
    public static final int EADDRINUSE = 98;
    public static final int EADDRNOTAVAIL = 99;
    public static final int ENETUNREACH = 101;
    public static final int ECONNABORTED = 103;
    public static final int ECONNRESET = 104;
    public static final int ENOBUFS = 105;
    public static final int EISCONN = 106;
    public static final int ENOTCONN = 107;
    public static final int ESHUTDOWN = 108;
    public static final int ETIMEDOUT = 110;
    public static final int ECONNREFUSED = 111;
    public static final int EHOSTUNREACH = 113;
    public static final int EALREADY = 114;
    public static final int EINPROGRESS = 115;
    public static final int ECANCELED = 125;

    private static final String[] NAMES = new String[134];

    static {
        for (java.lang.reflect.Field field : Errno.class.getFields()) {
            if (field.getType() == int.class) {
                try {
                    NAMES[field.getInt(null)] = field.getName();
                } catch (IllegalAccessException e) {
                    throw new ExceptionInInitializerError(e);
                }
            }
        }
    }

    /** The symbolic name, e.g. {@code ECONNREFUSED}; {@code errno N} for one this class does not name. */
    public static String name(int errno) {
        return errno > 0 && errno < NAMES.length && NAMES[errno] != null ? NAMES[errno] : "errno " + errno;
    }

    /** {@code ENAME (description)}, e.g. {@code ECONNRESET (Connection reset by peer)}. */
    public static String describe(int errno) {
        return name(errno) + " (" + LibC.strerror(errno) + ")";
    }

    /**
     * The exception Java's own sockets throw for {@code errno}, with a message {@code operation: ENAME (text)}:
     * {@link ConnectException} for a refused connection, {@link BindException} for an address in use or a bind
     * refused (EACCES), and an {@link ErrnoException} otherwise.
     */
    public static IOException newIOException(String operation, int errno) {
        String message = operation + ": " + describe(errno);
        return switch (errno) {
            case ECONNREFUSED -> new ErrnoException.Connect(message, errno);
            // Only a connect that timed out is a ConnectException: an established connection's send or recv that
            // times out (keepalive, retransmission, TCP_USER_TIMEOUT) is a plain IOException, as with NIO.
            case ETIMEDOUT -> operation.startsWith("connect")
                    ? new ErrnoException.Connect(message, errno) : new ErrnoException(message, errno);
            case EADDRINUSE, EADDRNOTAVAIL -> new ErrnoException.Bind(message, errno);
            // A port below ip_unprivileged_port_start without CAP_NET_BIND_SERVICE: Java's sockets say BindException.
            case EACCES -> operation.startsWith("bind")
                    ? new ErrnoException.Bind(message, errno) : new ErrnoException(message, errno);
            case ENETUNREACH, EHOSTUNREACH -> new ErrnoException.NoRoute(message, errno);
            default -> new ErrnoException(message, errno);
        };
    }

    /** Throws {@link #newIOException} when {@code result} is a negative errno, and returns it otherwise. */
    public static int check(String operation, int result) throws IOException {
        if (result < 0) {
            throw newIOException(operation, -result);
        }
        return result;
    }
}
