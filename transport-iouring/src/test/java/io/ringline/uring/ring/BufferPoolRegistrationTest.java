package io.ringline.uring.ring;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Which chunks of a pool become fixed buffers. */
class BufferPoolRegistrationTest {

    /**
     * The kernel's fixed buffer table holds at most 16384 buffers (IORING_MAX_REG_BUFFERS). A pool of one-slot chunks
     * that may grow to 32768 asked for a table of 32768, which the kernel refused (EINVAL, reported as a kernel too
     * old): no chunk was registered at all. The first 16384 chunks can be.
     */
    @Test
    void aPoolOfMoreChunksThanTheKernelsFixedBufferTableHoldsRegistersTheChunksThatFit() throws Exception {
        try (Ring ring = Ring.open(RingOptions.of(8))) {
            BufferPool pool = BufferPool.create(ring, (short) 1, 64, 1, 32768, true);
            try {
                assertThat(pool.registrationFailure()).isNull();
                assertThat(pool.fixedBufferIndex(0)).isZero();
                while (pool.slots() < 16385 && pool.grow()) {
                    // past the table's last index
                }
                assertThat(pool.fixedBufferIndex(16383)).isEqualTo(16383);
                assertThat(pool.fixedBufferIndex(16384)).as("no table entry left").isEqualTo(-1);
            } finally {
                pool.close();
            }
        }
    }
}
