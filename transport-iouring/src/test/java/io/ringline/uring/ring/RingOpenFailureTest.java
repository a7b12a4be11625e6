package io.ringline.uring.ring;

import io.ringline.uring.linux.Errno;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

import static io.ringline.uring.linux.IoUringConstants.IORING_REGISTER_PROBE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A ring whose setup fails after mapping its queues (here IORING_REGISTER_PROBE, refused by a seccomp filter on this
 * thread only) leaves no mapping behind: each mapping keeps the io_uring instance, and its memory, alive.
 */
class RingOpenFailureTest {

    @Test
    void aRingWhoseSetupFailsAfterMappingLeavesNoMapping() throws Exception {
        long before = ioUringMappings();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = Thread.ofPlatform().start(() -> {
            try {
                SyscallFilter.refuse(SyscallFilter.IO_URING_REGISTER, IORING_REGISTER_PROBE, Errno.EPERM);
                try (Ring ring = Ring.open(RingOptions.of(8))) {
                    failure.set(new AssertionError("the probe was not refused: " + ring));
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        thread.join();
        assertThat(failure.get()).as("Ring.open failed").isInstanceOf(IOException.class)
                .hasMessageContaining("IORING_REGISTER_PROBE");
        assertThat(ioUringMappings()).as("io_uring mappings after the failed open").isEqualTo(before);
    }

    private static long ioUringMappings() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.contains("io_uring")).count();
    }
}
