package io.ringline.bench;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One blocking platform thread per connection, the way rust_echo_bench works: write the request,
 * read until the whole echo is back, repeat (with a quota, then keep reading: the server must stay quiet and keep
 * the connection). Reads wake up every {@link #POLL_MILLIS} to notice the end of the run; a write blocked on a
 * stalled server is released by closing its socket.
 */
final class ThreadPerConnectionClient implements LoadClient {
    private static final int POLL_MILLIS = 100;
    private static final long STACK_BYTES = 256 * 1024;
    private static final Duration JOIN_SLACK = Duration.ofSeconds(1);

    private final LoadSpec spec;
    private final Payload payload;
    private final Worker[] workers;
    private final Recorder latency = new Recorder(3);
    private volatile boolean stopRequested;
    private volatile long drainDeadlineNanos;
    private volatile boolean started;
    private volatile String firstError;

    ThreadPerConnectionClient(LoadSpec spec, SocketChannel[] channels) throws IOException {
        this.spec = spec;
        this.payload = new Payload(spec.length(), spec.connections());
        this.workers = new Worker[channels.length];
        for (int i = 0; i < channels.length; i++) {
            workers[i] = new Worker(i, channels[i]);
        }
    }

    @Override
    public LoadSpec spec() {
        return spec;
    }

    @Override
    public void start() {
        started = true;
        for (Worker worker : workers) {
            worker.thread.start();
        }
    }

    @Override
    public LoadCounters counters() {
        long requests = 0;
        long responses = 0;
        long errors = 0;
        for (Worker worker : workers) {
            requests += worker.requests.getOpaque();
            responses += worker.responses.getOpaque();
            errors += worker.errors.getOpaque();
        }
        return new LoadCounters(requests, responses, errors);
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
        drainDeadlineNanos = System.nanoTime() + grace.toNanos();
        stopRequested = true;
        if (started) {
            joinAll(drainDeadlineNanos + JOIN_SLACK.toNanos());
            // Whoever is still running is blocked in a write to a stalled server: closing the
            // socket releases it with an exception, which it counts as an error.
            closeChannels();
            joinAll(System.nanoTime() + JOIN_SLACK.toNanos());
        }
        return counters();
    }

    @Override
    public void close() {
        if (!stopRequested) {
            stop(Duration.ZERO);
        }
        closeChannels();
    }

    private void joinAll(long deadlineNanos) {
        for (Worker worker : workers) {
            long remaining = deadlineNanos - System.nanoTime();
            if (remaining <= 0) {
                return;
            }
            try {
                worker.thread.join(Duration.ofNanos(remaining));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void closeChannels() {
        for (Worker worker : workers) {
            try {
                worker.channel.close();
            } catch (IOException ignored) {
                // Shutting down: the result is already counted.
            }
        }
    }

    private final class Worker implements Runnable {
        private final SocketChannel channel;
        private final Thread thread;
        private final byte[] incoming = new byte[spec.length()];
        private final AtomicLong requests = new AtomicLong();
        private final AtomicLong responses = new AtomicLong();
        private final AtomicLong errors = new AtomicLong();
        private final int index;
        private long sequence;

        Worker(int index, SocketChannel channel) {
            this.index = index;
            this.channel = channel;
            this.thread = new Thread(null, this, "echo-load-" + index, STACK_BYTES);
            thread.setDaemon(true);
        }

        @Override
        public void run() {
            try {
                channel.socket().setSoTimeout(POLL_MILLIS);
                InputStream in = channel.socket().getInputStream();
                OutputStream out = channel.socket().getOutputStream();
                byte[] pattern = payload.bytes();
                int length = spec.length();
                for (long done = 0; !stopRequested && done < spec.requestsPerConnection(); done++) {
                    int offset = payload.offset(index, sequence++);
                    long sentAt = System.nanoTime();
                    out.write(pattern, offset, length);
                    requests.setOpaque(requests.getOpaque() + 1);
                    if (!readEcho(in)) {
                        return;
                    }
                    long roundTrip = System.nanoTime() - sentAt;
                    if (Arrays.mismatch(incoming, 0, length, pattern, offset, offset + length) == -1) {
                        responses.setOpaque(responses.getOpaque() + 1);
                        latency.recordValue(roundTrip);
                    } else {
                        error("echo differs from the request");
                    }
                }
                // Quota done (idle connections): stay connected until the run ends, reading, as the other modes do,
                // so that a server that closes the connection or sends what nobody asked for is counted.
                while (!stopRequested) {
                    try {
                        int read = in.read(incoming, 0, incoming.length);
                        error(read < 0 ? "server closed the connection" : "server sent " + read + " bytes nobody asked for");
                        return;
                    } catch (SocketTimeoutException e) {
                        // Nothing came: look at stopRequested again.
                    }
                }
            } catch (IOException e) {
                error(stopRequested ? "request unfinished when the run ended (server stalled?): " + e : e.toString());
            }
        }

        /** Reads one whole echo; false (with the error counted) if it never comes. */
        private boolean readEcho(InputStream in) throws IOException {
            int got = 0;
            while (got < incoming.length) {
                try {
                    int read = in.read(incoming, got, incoming.length - got);
                    if (read < 0) {
                        error("server closed the connection");
                        return false;
                    }
                    got += read;
                } catch (SocketTimeoutException e) {
                    if (stopRequested && System.nanoTime() - drainDeadlineNanos >= 0) {
                        error("no echo within the grace period after the run (server stalled?)");
                        return false;
                    }
                }
            }
            return true;
        }

        private void error(String description) {
            errors.setOpaque(errors.getOpaque() + 1);
            if (firstError == null) {
                firstError = description;
            }
        }
    }
}
