package io.ringline.uring.ring;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static io.ringline.uring.linux.IoUringConstants.IOSQE_IO_LINK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A chain of SQEs linked with IOSQE_IO_LINK (setFlagsOnLast advertises it) must reach the kernel whole: when a full
 * queue is submitted to make room for the chain's next SQE, the chain must not be cut, or its tail runs although
 * the operation it depends on failed.
 */
class LinkedSqesTest {

    @Test
    void aLinkIsNotCutWhenTheQueueFillsUpInsideIt() throws Exception {
        try (Ring ring = Ring.open(RingOptions.of(2).withCqEntries(16))) {
            SubmissionQueue queue = ring.submissionQueue();
            queue.prepNop(1);
            queue.prepRead(-1, 0, 8, 0, 2); // fails: EBADF
            queue.setFlagsOnLast(IOSQE_IO_LINK);
            queue.prepNop(3); // linked to the read: must be cancelled (ECANCELED) when the read fails
            Map<Long, Integer> results = new HashMap<>();
            while (results.size() < 3) {
                ring.submitAndWait(1, 1_000_000_000L);
                ring.completionQueue().drain((userData, res, flags) -> results.put(userData, res));
            }
            assertThat(results.get(2L)).as("the read").isEqualTo(-9);
            assertThat(results.get(3L)).as("the NOP linked to the failed read").isEqualTo(-125);
        }
    }

    @Test
    void aFailedOperationCancelsTheOneLinkedToIt() throws Exception {
        try (Ring ring = Ring.open(RingOptions.of(8).withCqEntries(16))) {
            SubmissionQueue queue = ring.submissionQueue();
            queue.prepNop(1);
            queue.prepRead(-1, 0, 8, 0, 2);
            queue.setFlagsOnLast(IOSQE_IO_LINK);
            queue.prepNop(3);
            Map<Long, Integer> results = new HashMap<>();
            while (results.size() < 3) {
                ring.submitAndWait(1, 1_000_000_000L);
                ring.completionQueue().drain((userData, res, flags) -> results.put(userData, res));
            }
            assertThat(results.get(2L)).isEqualTo(-9);
            assertThat(results.get(3L)).isEqualTo(-125);
        }
    }

    /** A chain longer than the queue cannot be submitted whole: refused with a message that says so. */
    @Test
    void aChainThatFillsTheWholeQueueIsRefused() throws Exception {
        try (Ring ring = Ring.open(RingOptions.of(2).withCqEntries(16))) {
            SubmissionQueue queue = ring.submissionQueue();
            queue.prepNop(1);
            queue.setFlagsOnLast(IOSQE_IO_LINK);
            queue.prepNop(2);
            queue.setFlagsOnLast(IOSQE_IO_LINK);
            assertThatThrownBy(() -> queue.prepNop(3)).isInstanceOf(SubmissionQueueFullException.class)
                    .hasMessageContaining("one chain of linked SQEs fills the whole queue");
        }
    }
}
