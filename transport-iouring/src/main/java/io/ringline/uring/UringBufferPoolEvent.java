package io.ringline.uring;

/**
 * User events a {@link UringSocketChannel} fires when its loop's buffer pool runs dry and when it has slots again.
 * While exhausted the channel does not read (the kernel keeps the data in the socket buffer, and TCP flow control
 * slows the peer): nothing is lost. Slots come back as handlers release the buffers they hold.
 */
public enum UringBufferPoolEvent {
    /** Every slot is taken and the pool is at its cap: reads paused. */
    EXHAUSTED,
    /** Slots were released: reads resumed. */
    AVAILABLE
}
