package io.ringline.uring.linux;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;

/** An {@link IOException} from a failed system call or io_uring operation, carrying the {@code errno}. */
public class ErrnoException extends IOException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public ErrnoException(String message, int errno) {
        super(message);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }

    /** A refused or timed-out connect: a {@link ConnectException}, as Java's sockets raise. */
    public static final class Connect extends ConnectException {
        private static final long serialVersionUID = 1L;
        private final int errno;

        Connect(String message, int errno) {
            super(message);
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }
    }

    /** An address in use or not available, or a bind refused: a {@link BindException}, as Java's sockets raise. */
    public static final class Bind extends BindException {
        private static final long serialVersionUID = 1L;
        private final int errno;

        Bind(String message, int errno) {
            super(message);
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }
    }

    /** An unreachable network or host: a {@link NoRouteToHostException}, as Java's sockets raise. */
    public static final class NoRoute extends NoRouteToHostException {
        private static final long serialVersionUID = 1L;
        private final int errno;

        NoRoute(String message, int errno) {
            super(message);
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }
    }
}
