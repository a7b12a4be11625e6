package io.ringline.bench;

/** How the load client drives its connections. */
public enum ClientMode {
    /** One thread multiplexes every connection with non-blocking I/O (a Java NIO selector). */
    EVENTS,
    /** One thread drives every connection through an io_uring ring (Ringline's ring core), batching submissions. */
    RING,
    /** One blocking platform thread per connection, like rust_echo_bench. */
    THREADS
}
