package io.ringline.uring;

/**
 * User events a {@link UringSocketChannel} fires when its loop's buffer pool runs dry and when it reads from the pool
 * again. While the pool is exhausted the channel reads on into {@code RCVBUF_ALLOCATOR} buffers, a copy as with NIO
 * (counted in {@link UringMetrics#allocatorReadsWhilePoolExhausted()}): nothing pauses, so data that the held slots
 * wait for (the rest of a decoder's partial frame) is still read, and that memory is the application's to bound, as
 * with NIO. The pool itself stays within its cap; slots come back as handlers release the buffers they hold.
 */
public enum UringBufferPoolEvent {
    /** Every slot is taken and the pool cannot grow (at its cap): this channel's reads go to allocator buffers. */
    EXHAUSTED,
    /** The pool had a free slot again and a read of this channel filled it: its reads come from the pool again. */
    AVAILABLE
}
