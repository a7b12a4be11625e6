package io.ringline.bench;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the load clients in which ONE driver thread runs every connection share: the counters and the latency
 * recorder (written by the driver only, read from any thread), the first error, the requests in flight, and how a
 * stop ends the driver: no new request, a grace period for the echoes still awaited, then the driver returns.
 */
abstract class SingleDriverClient implements LoadClient {
    private static final Duration JOIN_SLACK = Duration.ofSeconds(1);

    final LoadSpec spec;
    final Thread driver;
    private final SingleWriterRecorder latency = new SingleWriterRecorder(3);

    // Written by the driver thread only; other threads read them.
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong responses = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private volatile String firstError;

    volatile boolean stopRequested;
    private volatile long graceNanos;

    // Driver-thread state.
    /** Requests sent (or being sent) whose echo has not fully come back: the connections awaiting one. */
    private int requestsInFlight;
    private boolean draining;
    private long drainDeadline;

    SingleDriverClient(LoadSpec spec, String driverName) {
        this.spec = spec;
        this.driver = new Thread(this::drive, driverName);
        driver.setDaemon(true);
    }

    /** The driver thread's whole life. */
    abstract void drive();

    /** Makes a driver blocked in its wait look at {@link #stopRequested}; called from the thread that stops. */
    abstract void wakeDriver();

    /** Time the driver may need after the grace period to release what it holds; 0 unless a client says so. */
    Duration finishAllowance() {
        return Duration.ZERO;
    }

    @Override
    public LoadSpec spec() {
        return spec;
    }

    @Override
    public LoadCounters counters() {
        return new LoadCounters(requests.getOpaque(), responses.getOpaque(), errors.getOpaque());
    }

    @Override
    public Histogram takeLatency() {
        return latency.getIntervalHistogram();
    }

    @Override
    public String firstError() {
        return firstError;
    }

    @Override
    public LoadCounters stop(Duration grace) {
        graceNanos = grace.toNanos();
        stopRequested = true;
        wakeDriver();
        if (driver.getState() != Thread.State.NEW) {
            joinQuietly(grace.plus(JOIN_SLACK).plus(finishAllowance()));
            if (driver.isAlive()) {
                // Should not happen (the driver honours the grace itself); never hang the caller.
                driver.interrupt();
                joinQuietly(JOIN_SLACK);
            }
        }
        return counters();
    }

    private void joinQuietly(Duration timeout) {
        try {
            driver.join(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * How long the driver's next wait may last: {@code maxWaitNanos}, less once a stop was asked and the grace
     * period runs, and -1 when the driver should end (the grace is over, or nothing is awaited any more).
     */
    long nextWaitNanos(long maxWaitNanos) {
        if (!stopRequested) {
            return maxWaitNanos;
        }
        long now = System.nanoTime();
        if (!draining) {
            draining = true;
            drainDeadline = now + graceNanos;
        }
        if (requestsInFlight == 0 || now - drainDeadline >= 0) {
            return -1;
        }
        return Math.min(maxWaitNanos, drainDeadline - now);
    }

    void countRequest() {
        requests.setOpaque(requests.getOpaque() + 1);
    }

    /**
     * Counts as errors the echoes still awaited when the driver's loop ends: after the grace period, a stalled
     * server.
     */
    void echoesMissing(DriverConnection[] connections) {
        for (DriverConnection connection : connections) {
            if (connection.endRequest()) {
                recordError("no echo within the grace period after the run (server stalled?)");
            }
        }
    }

    /** One connection's request: sent and awaiting its echo, or not; {@link #requestsInFlight} counts the first. */
    abstract class DriverConnection {
        private boolean awaitingEcho;

        boolean awaitingEcho() {
            return awaitingEcho;
        }

        /** A request starts going out: its echo is awaited from now on. */
        void requestStarted() {
            awaitingEcho = true;
            requestsInFlight++;
        }

        /** The whole echo came back; {@code matched} says whether its bytes were the request's. */
        void echoArrived(boolean matched, long roundTripNanos) {
            endRequest();
            if (matched) {
                responses.setOpaque(responses.getOpaque() + 1);
                latency.recordValue(roundTripNanos);
            } else {
                recordError("echo differs from the request");
            }
        }

        /** No echo will come for the request (the connection failed, or the run ended); says whether one was awaited. */
        boolean endRequest() {
            if (!awaitingEcho) {
                return false;
            }
            awaitingEcho = false;
            requestsInFlight--;
            return true;
        }
    }

    void recordError(String description) {
        errors.setOpaque(errors.getOpaque() + 1);
        if (firstError == null) {
            firstError = description;
        }
    }
}
