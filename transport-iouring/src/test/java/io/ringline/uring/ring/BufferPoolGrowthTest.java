package io.ringline.uring.ring;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** How far a pool grows: its cap in whole chunks, never beyond the 32768 slots a provided buffer ring holds. */
class BufferPoolGrowthTest {

    @Test
    void aCapThatIsNoMultipleOfTheChunkRoundsUpToWholeChunks() throws Exception {
        try (Ring ring = Ring.open(RingOptions.of(8))) {
            BufferPool pool = BufferPool.create(ring, (short) 1, 64, 300, 1000, false);
            try {
                while (pool.grow()) {
                    // to the cap
                }
                assertThat(pool.slots()).isEqualTo(1200);
            } finally {
                pool.close();
            }
        }
    }

    /** 11 chunks of 3000 would pass the ring's 32768: the pool stops at 10 (before, creating it threw). */
    @Test
    void aCapRoundedUpPastWhatTheBufferRingHoldsStopsAtTheLastWholeChunkThatFits() throws Exception {
        try (Ring ring = Ring.open(RingOptions.of(8))) {
            BufferPool pool = BufferPool.create(ring, (short) 1, 64, 3000, 32768, false);
            try {
                while (pool.grow()) {
                    // to the cap
                }
                assertThat(pool.slots()).isEqualTo(30000);
                assertThat(pool.slotAddress(pool.slots() - 1)).isNotZero();
            } finally {
                pool.close();
            }
        }
    }
}
