package io.ringline.echo;

import java.util.Optional;

/**
 * The transport to run on and why it was chosen, so the server can say so in one line.
 *
 * @param transport the chosen transport, known to be available
 * @param reason    a short explanation, naming the cause when a preferred transport is unavailable
 */
public record TransportSelection(Transport transport, String reason) {

    /** An explicitly requested transport that cannot run here. */
    public static final class UnavailableException extends Exception {
        UnavailableException(Transport transport, Throwable cause) {
            super("The " + transport.cliName() + " transport is unavailable: " + describe(cause), cause);
        }
    }

    /**
     * Picks the transport: the requested one, which must be available (failing fast beats quietly
     * benchmarking something else), or when none is requested the best available one, in the order
     * Ringline, epoll, NIO.
     */
    public static TransportSelection select(Optional<Transport> requested) throws UnavailableException {
        if (requested.isPresent()) {
            Transport transport = requested.get();
            Throwable cause = transport.unavailabilityCause();
            if (cause != null) {
                throw new UnavailableException(transport, cause);
            }
            return new TransportSelection(transport, "requested");
        }
        Throwable ringlineCause = Transport.RINGLINE.unavailabilityCause();
        if (ringlineCause == null) {
            return new TransportSelection(Transport.RINGLINE, "auto: io_uring is available");
        }
        String why = "auto: ringline unavailable (" + describe(ringlineCause) + ")";
        Throwable epollCause = Transport.EPOLL.unavailabilityCause();
        if (epollCause == null) {
            return new TransportSelection(Transport.EPOLL, why);
        }
        return new TransportSelection(Transport.NIO, why + ", epoll unavailable (" + describe(epollCause) + ")");
    }

    /** One line for the console, e.g. {@code Transport: epoll (auto: ringline unavailable (...))}. */
    public String describe() {
        return "Transport: " + transport.cliName() + " (" + reason + ")";
    }

    /** The exception and, when different, its root cause: usually the root names the real problem. */
    static String describe(Throwable cause) {
        if (cause == null) {
            return "no cause given";
        }
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == cause ? cause.toString() : cause + "; caused by " + root;
    }
}
