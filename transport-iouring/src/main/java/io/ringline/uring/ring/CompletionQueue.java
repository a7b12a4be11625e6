package io.ringline.uring.ring;

import io.ringline.uring.linux.IoUringStructs.Cqe;
import io.ringline.uring.linux.IoUringStructs.Params;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** The completion queue: reaps completions straight from the shared ring, without entering the kernel. */
public final class CompletionQueue {
    private static final VarHandle INT = JAVA_INT.varHandle();

    private final MemorySegment ringMemory;
    private final long headOffset;
    private final long tailOffset;
    private final long overflowOffset;
    private final long cqesOffset;
    private final int mask;
    private final int entries;

    CompletionQueue(MemorySegment ringMemory, MemorySegment params) {
        this.ringMemory = ringMemory;
        this.headOffset = params.get(JAVA_INT, Params.CQ_OFF_HEAD);
        this.tailOffset = params.get(JAVA_INT, Params.CQ_OFF_TAIL);
        this.overflowOffset = params.get(JAVA_INT, Params.CQ_OFF_OVERFLOW);
        this.cqesOffset = params.get(JAVA_INT, Params.CQ_OFF_CQES);
        this.mask = ringMemory.get(JAVA_INT, params.get(JAVA_INT, Params.CQ_OFF_RING_MASK));
        this.entries = ringMemory.get(JAVA_INT, params.get(JAVA_INT, Params.CQ_OFF_RING_ENTRIES));
    }

    public int entries() {
        return entries;
    }

    /** Completions ready to reap. The tail load needs acquire ordering: the CQEs before it are then visible. */
    public int ready() {
        return (int) INT.getAcquire(ringMemory, tailOffset) - (int) INT.getAcquire(ringMemory, headOffset);
    }

    /**
     * Completions the kernel dropped because the queue was full and it could not keep them (none on kernels with
     * IORING_FEAT_NODROP, which Ringline requires, unless the kernel ran out of memory).
     */
    public int overflowCount() {
        return (int) INT.getAcquire(ringMemory, overflowOffset);
    }

    /**
     * Hands each ready completion to {@code handler}, in order, then releases their slots to the kernel (the head
     * store needs release ordering so the kernel does not overwrite a CQE still being read). Completions that
     * arrive while the handler runs are left for the next call. Returns how many were handled.
     */
    public int drain(CompletionHandler handler) {
        int head = (int) INT.getAcquire(ringMemory, headOffset);
        int tail = (int) INT.getAcquire(ringMemory, tailOffset);
        if (head == tail) {
            return 0;
        }
        int count = 0;
        try {
            for (; head != tail; head++) {
                long cqe = cqesOffset + (long) (head & mask) * Cqe.SIZE;
                long userData = ringMemory.get(JAVA_LONG, cqe + Cqe.USER_DATA);
                int res = ringMemory.get(JAVA_INT, cqe + Cqe.RES);
                int flags = ringMemory.get(JAVA_INT, cqe + Cqe.FLAGS);
                count++;
                handler.complete(userData, res, flags);
            }
        } finally {
            // On a handler exception the failing completion counts as handled: it is never delivered twice.
            INT.setRelease(ringMemory, headOffset, head + (head != tail ? 1 : 0));
        }
        return count;
    }
}
