package io.ringline.bench;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * An echo load generator over already-open connections. Life cycle: {@link #connect}, {@link #start},
 * read {@link #counters} and {@link #takeLatency} as often as wanted, {@link #stop}, {@link #close}.
 * Every method returns within a bounded time, whatever the server does.
 */
public interface LoadClient extends AutoCloseable {

    /** Opens every connection (so a dead server fails here, before any timing starts). */
    static LoadClient connect(ClientMode mode, LoadSpec spec, Duration connectTimeout) throws IOException {
        if (mode == ClientMode.RING) {
            return RingClient.connect(spec, connectTimeout); // opens its sockets itself: the ring needs their fds
        }
        SocketChannel[] channels = openChannels(spec.address(), spec.connections(), connectTimeout);
        try {
            return switch (mode) {
                case EVENTS -> new EventLoopClient(spec, channels);
                case THREADS -> new ThreadPerConnectionClient(spec, channels);
                case RING -> throw new AssertionError("handled above");
            };
        } catch (IOException | RuntimeException e) {
            closeAll(channels);
            throw e;
        }
    }

    /** The message every client gives when connecting ran out of time after {@code opened} of {@code count}. */
    static ConnectException connectTimedOut(int opened, int count) {
        return new ConnectException("timed out after opening " + opened + " of " + count + " connections");
    }

    /** The message every client gives when a connect failed for {@code why} after {@code opened} of {@code count}. */
    static ConnectException connectFailed(String why, int opened, int count) {
        return new ConnectException(opened == 0 ? why : why + " (after opening " + opened + " of " + count
                + " connections)");
    }

    LoadSpec spec();

    /** Starts sending; the first request of every connection goes out now. */
    void start();

    /** Totals so far; safe from any thread. */
    LoadCounters counters();

    /** Round-trip times in nanoseconds recorded since the previous call (or since start). */
    Histogram takeLatency();

    /** The first failure seen, for diagnosis; null while there was none. */
    String firstError();

    /**
     * Sends no new request, waits up to {@code grace} for the echoes still in flight, counts the
     * ones still missing then as errors, and returns the final totals.
     */
    LoadCounters stop(Duration grace);

    /** Closes every connection; idempotent. */
    @Override
    void close();

    /**
     * Waits until every connection has finished its {@link LoadSpec#requestsPerConnection} or
     * failed; false if {@code timeout} passed first. Only meaningful with a finite quota.
     */
    default boolean awaitQuotaDone(Duration timeout) throws InterruptedException {
        long expected = (long) spec().connections() * spec().requestsPerConnection();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            LoadCounters now = counters();
            if (now.responses() + now.errors() >= expected) {
                return true;
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            Thread.sleep(10);
        }
    }

    /**
     * Opens {@code count} blocking connections one after another. On loopback each connect
     * completes inside the syscall, and opening them one at a time cannot overflow the server's
     * accept backlog the way a burst of 10,000 could.
     */
    private static SocketChannel[] openChannels(InetSocketAddress address, int count, Duration timeout)
            throws IOException {
        SocketChannel[] channels = new SocketChannel[count];
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int opened = 0; opened < count; opened++) {
            long remainingMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (remainingMillis <= 0) {
                closeAll(channels);
                throw connectTimedOut(opened, count); // says how many opened already: not wrapped below
            }
            try {
                SocketChannel channel = SocketChannel.open();
                channels[opened] = channel;
                // Requests are written whole; Nagle would only delay the second segment of large ones.
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                channel.socket().connect(address, (int) Math.min(remainingMillis, Integer.MAX_VALUE));
            } catch (IOException e) {
                closeAll(channels);
                if (opened == 0) {
                    throw e;
                }
                IOException withContext = connectFailed(e.getMessage(), opened, count);
                withContext.initCause(e);
                throw withContext;
            }
        }
        return channels;
    }

    private static void closeAll(SocketChannel[] channels) {
        for (SocketChannel channel : channels) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // Closing after a failure: nothing more to report than the failure itself.
                }
            }
        }
    }
}
