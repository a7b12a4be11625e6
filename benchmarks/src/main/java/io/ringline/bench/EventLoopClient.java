package io.ringline.bench;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * ONE thread drives every connection through a {@link Selector}: non-blocking, buffers allocated
 * once per connection, no allocation per request. Reads are armed while a request is being written,
 * because a large echo can come back before the write finishes and both sides would otherwise wait
 * on full socket buffers.
 */
final class EventLoopClient implements LoadClient {
    /** Upper bound on one select; stop() also wakes the selector, this only bounds a missed wakeup. */
    private static final long SELECT_TIMEOUT_MILLIS = 100;
    private static final Duration JOIN_SLACK = Duration.ofSeconds(1);

    private final LoadSpec spec;
    private final Payload payload;
    private final Selector selector;
    private final Connection[] connections;
    private final SingleWriterRecorder latency = new SingleWriterRecorder(3);
    private final Thread driver;

    // Written by the driver thread only; other threads read them.
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong responses = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private volatile String firstError;

    private volatile boolean stopRequested;
    private volatile long graceNanos;

    // Driver-thread state.
    private int openConnections;
    private int requestsInFlight;

    EventLoopClient(LoadSpec spec, SocketChannel[] channels) throws IOException {
        this.spec = spec;
        this.payload = new Payload(spec.length());
        this.selector = Selector.open();
        this.connections = new Connection[channels.length];
        for (int i = 0; i < channels.length; i++) {
            channels[i].configureBlocking(false);
            connections[i] = new Connection(i, channels[i]);
        }
        openConnections = channels.length;
        driver = new Thread(this::drive, "echo-load-events");
        driver.setDaemon(true);
    }

    @Override
    public LoadSpec spec() {
        return spec;
    }

    @Override
    public void start() {
        driver.start();
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
        selector.wakeup();
        if (driver.getState() != Thread.State.NEW) {
            joinQuietly(grace.plus(JOIN_SLACK));
            if (driver.isAlive()) {
                // Should not happen (the driver honours the grace itself); never hang the caller.
                driver.interrupt();
                joinQuietly(JOIN_SLACK);
            }
        }
        return counters();
    }

    @Override
    public void close() {
        if (driver.isAlive()) {
            stop(Duration.ZERO);
        }
        for (Connection connection : connections) {
            connection.closeChannel();
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // Nothing is left to drive; a failing close changes no result.
        }
    }

    private void joinQuietly(Duration timeout) {
        try {
            driver.join(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void drive() {
        try {
            for (Connection connection : connections) {
                connection.register();
            }
            for (Connection connection : connections) {
                try {
                    connection.startRequest();
                } catch (IOException e) {
                    connection.fail(e.toString());
                }
            }
            long drainDeadline = 0;
            boolean draining = false;
            while (openConnections > 0) {
                long selectMillis = SELECT_TIMEOUT_MILLIS;
                if (stopRequested) {
                    long now = System.nanoTime();
                    if (!draining) {
                        draining = true;
                        drainDeadline = now + graceNanos;
                    }
                    if (requestsInFlight == 0 || now - drainDeadline >= 0) {
                        break;
                    }
                    selectMillis = Math.max(1, Math.min(selectMillis, TimeUnit.NANOSECONDS.toMillis(drainDeadline - now)));
                }
                selector.select(this::onReady, selectMillis);
            }
        } catch (IOException | RuntimeException e) {
            recordError("load client failed: " + e);
        } finally {
            // Whatever is still awaited now never came back within the run: a stalled server.
            for (Connection connection : connections) {
                if (connection.inFlight) {
                    connection.inFlight = false;
                    requestsInFlight--;
                    recordError("no echo within the grace period after the run (server stalled?)");
                }
            }
        }
    }

    private void onReady(SelectionKey key) {
        Connection connection = (Connection) key.attachment();
        int ready = key.readyOps();
        try {
            if ((ready & SelectionKey.OP_WRITE) != 0) {
                connection.writeSome();
            }
            if ((ready & SelectionKey.OP_READ) != 0 && connection.isOpen()) {
                connection.readSome();
            }
        } catch (IOException e) {
            connection.fail(e.toString());
        }
    }

    private void recordError(String description) {
        errors.setOpaque(errors.getOpaque() + 1);
        if (firstError == null) {
            firstError = description;
        }
    }

    private final class Connection {
        private final SocketChannel channel;
        private final ByteBuffer outgoing = payload.newView();
        private final ByteBuffer expected = payload.newView();
        private final ByteBuffer incoming;
        private SelectionKey key;
        private int interest;
        private long sequence;
        private int offset;
        private long sentAtNanos;
        private long completed;
        private boolean inFlight;

        Connection(int index, SocketChannel channel) {
            this.channel = channel;
            this.incoming = ByteBuffer.allocateDirect(spec.length());
            // Start every connection elsewhere in the pattern so concurrent echoes differ too.
            this.sequence = index;
        }

        void register() throws IOException {
            interest = SelectionKey.OP_READ;
            key = channel.register(selector, interest, this);
        }

        boolean isOpen() {
            return channel.isOpen();
        }

        void startRequest() throws IOException {
            offset = Payload.offset(sequence++);
            payload.select(outgoing, offset);
            incoming.clear();
            inFlight = true;
            requestsInFlight++;
            sentAtNanos = System.nanoTime();
            writeSome();
        }

        void writeSome() throws IOException {
            if (!outgoing.hasRemaining()) {
                setInterest(SelectionKey.OP_READ);
                return;
            }
            channel.write(outgoing);
            if (outgoing.hasRemaining()) {
                setInterest(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            } else {
                requests.setOpaque(requests.getOpaque() + 1);
                setInterest(SelectionKey.OP_READ);
            }
        }

        void readSome() throws IOException {
            int read = channel.read(incoming);
            if (read < 0) {
                fail("server closed the connection");
                return;
            }
            if (!inFlight) {
                if (read > 0) {
                    fail("server sent " + read + " bytes nobody asked for");
                }
                return;
            }
            if (!incoming.hasRemaining()) {
                complete();
            }
        }

        private void complete() throws IOException {
            long roundTripNanos = System.nanoTime() - sentAtNanos;
            inFlight = false;
            requestsInFlight--;
            completed++;
            incoming.flip();
            if (incoming.mismatch(payload.select(expected, offset)) == -1) {
                responses.setOpaque(responses.getOpaque() + 1);
                latency.recordValue(roundTripNanos);
            } else {
                recordError("echo differs from the request");
            }
            if (!stopRequested && completed < spec.requestsPerConnection()) {
                startRequest();
            }
        }

        private void setInterest(int wanted) {
            if (interest != wanted) {
                interest = wanted;
                key.interestOps(wanted);
            }
        }

        void fail(String description) {
            if (!channel.isOpen()) {
                return;
            }
            if (inFlight) {
                inFlight = false;
                requestsInFlight--;
            }
            recordError(description);
            openConnections--;
            closeChannel();
        }

        void closeChannel() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // The connection is finished with either way.
            }
        }
    }
}
