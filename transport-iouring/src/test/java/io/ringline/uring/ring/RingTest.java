package io.ringline.uring.ring;

import io.ringline.uring.linux.Errno;
import io.ringline.uring.linux.LibC;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static io.ringline.uring.linux.IoUringConstants.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RingTest {

    @Test
    void setsUpWithTheFlagsThisKernelOffers() throws Exception {
        try (Ring ring = Ring.open(RingOptions.of(64))) {
            assertThat(ring.submissionQueue().entries()).isEqualTo(64);
            assertThat(ring.completionQueue().entries()).isEqualTo(512);
            assertThat(ring.supportsOpcode(IORING_OP_NOP)).isTrue();
            assertThat(ring.supportsOpcode(IORING_OP_RECV)).isTrue();
            assertThat(ring.hasSetupFlag(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN)).isTrue();
        }
    }

    @Test
    void dropsFlagsTheCallerForbids() throws Exception {
        try (Ring ring = Ring.open(RingOptions.of(8).withOptionalFlags(IORING_SETUP_SUBMIT_ALL))) {
            assertThat(ring.setupFlags() & RingOptions.ALL_OPTIONAL_FLAGS).isEqualTo(IORING_SETUP_SUBMIT_ALL);
            roundTripNops(ring, 100);
        }
    }

    @Test
    void wrapsAroundFarMoreOperationsThanEntries() throws Exception {
        try (Ring ring = Ring.open(RingOptions.of(8).withCqEntries(16))) {
            roundTripNops(ring, 10_000);
        }
    }

    @Test
    void aFullSubmissionQueueIsSubmittedToMakeRoom() throws Exception {
        try (Ring ring = Ring.open(RingOptions.of(4).withCqEntries(64))) {
            for (int i = 0; i < 20; i++) {
                ring.submissionQueue().prepNop(i);
            }
            ring.submitAndWait(20, 1_000_000_000L);
            List<Long> seen = new ArrayList<>();
            while (seen.size() < 20) {
                ring.completionQueue().drain((userData, res, flags) -> seen.add(userData));
                if (seen.size() < 20) {
                    ring.submitAndWait(1, 1_000_000_000L);
                }
            }
            assertThat(seen).hasSize(20).doesNotHaveDuplicates();
        }
    }

    @Test
    void waitingTimesOutWithoutError() throws Exception {
        try (Ring ring = Ring.open(RingOptions.of(8))) {
            long start = System.nanoTime();
            ring.submitAndWait(1, 50_000_000L);
            long waited = System.nanoTime() - start;
            assertThat(waited).isGreaterThanOrEqualTo(40_000_000L);
            assertThat(ring.completionQueue().ready()).isZero();
        }
    }

    @Test
    void providedBufferRingFeedsReads() throws Exception {
        try (Ring ring = Ring.open(RingOptions.of(8)); Arena arena = Arena.ofConfined()) {
            BufferRing buffers = BufferRing.register(ring, (short) 7, 4);
            MemorySegment memory = arena.allocate(4 * 64, 4096);
            for (int i = 0; i < 4; i++) {
                buffers.add(memory.address() + 64L * i, 64, (short) i);
            }
            buffers.publish();
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            assertThat(LibC.pipe2(fds, LibC.O_CLOEXEC)).isZero();
            int readEnd = fds.get(JAVA_INT, 0);
            int writeEnd = fds.get(JAVA_INT, 4);
            try {
                MemorySegment hello = arena.allocateFrom("hello");
                assertThat(LibC.write(writeEnd, hello, 5)).isEqualTo(5);
                // IORING_OP_READ with buffer select, on a pipe.
                ring.submissionQueue().prepRecvBufferSelect(readEnd, (short) 7, 0, 42);
                int[] result = new int[3];
                ring.submitAndWait(1, 1_000_000_000L);
                ring.completionQueue().drain((userData, res, flags) -> {
                    result[0] = (int) userData;
                    result[1] = res;
                    result[2] = flags;
                });
                assertThat(result[0]).isEqualTo(42);
                // recv(2) on a pipe is ENOTSOCK: the kernel checked the fd, proving the SQE reached it intact.
                assertThat(result[1]).isEqualTo(-Errno.ENOTSOCK);
            } finally {
                LibC.close(readEnd);
                LibC.close(writeEnd);
                buffers.close();
            }
        }
    }

    /**
     * UringSocketChannel takes a pool slot only from a completion that carries data: it relies on the kernel
     * consuming no provided buffer for end of stream (no IORING_CQE_F_BUFFER on a zero result).
     */
    @Test
    void endOfStreamConsumesNoProvidedBuffer() throws Exception {
        try (Ring ring = Ring.open(RingOptions.of(8)); Arena arena = Arena.ofConfined();
             LoopbackConnection connection = LoopbackConnection.open(ring)) {
            BufferRing buffers = BufferRing.register(ring, (short) 3, 4);
            MemorySegment memory = arena.allocate(4 * 64, 4096);
            for (int i = 0; i < 4; i++) {
                buffers.add(memory.address() + 64L * i, 64, (short) i);
            }
            buffers.publish();
            connection.peer.getOutputStream().write(new byte[] {1, 2, 3});
            connection.peer.shutdownOutput();
            try {
                List<int[]> completions = new ArrayList<>();
                while (completions.isEmpty() || completions.getLast()[0] > 0) {
                    ring.submissionQueue().prepRecvBufferSelect(connection.fd, (short) 3, 0, 9);
                    ring.submitAndWait(1, 1_000_000_000L);
                    ring.completionQueue().drain((userData, res, flags) -> completions.add(new int[] {res, flags}));
                }
                assertThat(completions.getFirst()[0]).isEqualTo(3);
                assertThat(completions.getFirst()[1] & IORING_CQE_F_BUFFER).isNotZero();
                assertThat(completions.getLast()[0]).as("end of stream").isZero();
                assertThat(completions.getLast()[1] & IORING_CQE_F_BUFFER).as("no buffer consumed").isZero();
            } finally {
                buffers.close();
            }
        }
    }

    @Test
    void forbiddenFlagCombinationIsRejectedUpFront() {
        assertThatThrownBy(() -> new RingOptions(16, 8, false, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cqEntries");
        assertThatThrownBy(() -> BufferRing.register(null, (short) 0, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("power of two");
    }

    private static void roundTripNops(Ring ring, int count) throws Exception {
        long[] next = {0};
        int submitted = 0;
        while (next[0] < count) {
            while (submitted < count && ring.submissionQueue().available() > 0
                    && submitted - next[0] < ring.completionQueue().entries()) {
                ring.submissionQueue().prepNop(submitted++);
            }
            ring.submitAndWait(1, 1_000_000_000L);
            ring.completionQueue().drain((userData, res, flags) -> {
                assertThat(userData).isEqualTo(next[0]);
                assertThat(res).isZero();
                next[0]++;
            });
        }
        assertThat(ring.completionQueue().overflowCount()).isZero();
    }
}
