package io.ringline.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * ONE thread drives every connection through a {@link Selector}: non-blocking, buffers allocated
 * once per connection, no allocation per request. Reads are armed while a request is being written,
 * because a large echo can come back before the write finishes and both sides would otherwise wait
 * on full socket buffers.
 */
final class EventLoopClient extends SingleDriverClient {
    /** Upper bound on one select; stop() also wakes the selector, this only bounds a missed wakeup. */
    private static final long SELECT_TIMEOUT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final Payload payload;
    private final Selector selector;
    private final Connection[] connections;

    // Driver-thread state.
    private int openConnections;

    EventLoopClient(LoadSpec spec, SocketChannel[] channels) throws IOException {
        super(spec, "echo-load-events");
        this.payload = new Payload(spec.length(), spec.connections());
        this.selector = Selector.open();
        this.connections = new Connection[channels.length];
        for (int i = 0; i < channels.length; i++) {
            channels[i].configureBlocking(false);
            connections[i] = new Connection(i, channels[i]);
        }
        openConnections = channels.length;
    }

    @Override
    public void start() {
        driver.start();
    }

    @Override
    void wakeDriver() {
        selector.wakeup();
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

    @Override
    void drive() {
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
            long waitNanos;
            while (openConnections > 0 && (waitNanos = nextWaitNanos(SELECT_TIMEOUT_NANOS)) >= 0) {
                selector.select(this::onReady, Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNanos)));
            }
        } catch (IOException | RuntimeException e) {
            recordError("load client failed: " + e);
        } finally {
            echoesMissing(connections);
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

    private final class Connection extends DriverConnection {
        private final SocketChannel channel;
        private final ByteBuffer outgoing = payload.newView();
        private final ByteBuffer expected = payload.newView();
        private final ByteBuffer incoming;
        private final int index;
        private SelectionKey key;
        private int interest;
        private long sequence;
        private int offset;
        private long sentAtNanos;
        private long completed;

        Connection(int index, SocketChannel channel) {
            this.index = index;
            this.channel = channel;
            this.incoming = ByteBuffer.allocateDirect(spec.length());
        }

        void register() throws IOException {
            interest = SelectionKey.OP_READ;
            key = channel.register(selector, interest, this);
        }

        boolean isOpen() {
            return channel.isOpen();
        }

        void startRequest() throws IOException {
            offset = payload.offset(index, sequence++);
            payload.select(outgoing, offset);
            incoming.clear();
            requestStarted();
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
                countRequest();
                setInterest(SelectionKey.OP_READ);
            }
        }

        void readSome() throws IOException {
            int read = channel.read(incoming);
            if (read < 0) {
                fail("server closed the connection");
                return;
            }
            if (!awaitingEcho()) {
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
            completed++;
            incoming.flip();
            echoArrived(incoming.mismatch(payload.select(expected, offset)) == -1, roundTripNanos);
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
            endRequest();
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
