package io.ringline.uring.ring;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

/** Closing a pool while slots are taken keeps their memory mapped until the last one comes back. */
class BufferPoolCloseTest {
    private static final int SLOT_SIZE = 4096;
    private static final int SLOTS = 8;

    @Test
    void withNoSlotTakenClosingUnmapsAtOnce() throws Exception {
        try (Ring ring = Ring.open(RingOptions.of(8))) {
            BufferPool pool = BufferPool.create(ring, (short) 1, SLOT_SIZE, SLOTS, SLOTS, false);
            long chunk = pool.slotAddress(0);
            assertThat(isMapped(chunk)).isTrue();

            pool.close();

            assertThat(isMapped(chunk)).isFalse();
        }
    }

    @Test
    void slotsTakenAtCloseStayReadableUntilTheLastComesBack() throws Exception {
        try (Ring ring = Ring.open(RingOptions.of(8))) {
            BufferPool pool = BufferPool.create(ring, (short) 1, SLOT_SIZE, SLOTS, SLOTS, false);
            long chunk = pool.slotAddress(0);
            for (int slot : new int[] {2, 5, 6}) {
                pool.taken(slot);
                slotMemory(pool, slot).set(JAVA_LONG, 0, 1000L + slot);
            }
            pool.returnAfterClose(); // slot 6, returned from another thread just before the close

            pool.close();

            assertThat(slotMemory(pool, 2).get(JAVA_LONG, 0)).isEqualTo(1002L);
            assertThat(slotMemory(pool, 5).get(JAVA_LONG, 0)).isEqualTo(1005L);
            Thread other = Thread.ofPlatform().start(pool::returnAfterClose); // slot 2
            other.join();
            assertThat(isMapped(chunk)).as("slot 5 is still out").isTrue();
            assertThat(slotMemory(pool, 5).get(JAVA_LONG, 0)).isEqualTo(1005L);

            pool.returnAfterClose(); // slot 5

            assertThat(isMapped(chunk)).isFalse();
        }
    }

    private static MemorySegment slotMemory(BufferPool pool, int slot) {
        return MemorySegment.ofAddress(pool.slotAddress(slot)).reinterpret(SLOT_SIZE);
    }

    /** Whether {@code address} lies in one of this process's mappings (proc(5), /proc/self/maps). */
    private static boolean isMapped(long address) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            String[] range = line.substring(0, line.indexOf(' ')).split("-");
            long start = HexFormat.fromHexDigitsToLong(range[0]);
            long end = HexFormat.fromHexDigitsToLong(range[1]);
            if (Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0) {
                return true;
            }
        }
        return false;
    }
}
