package io.ringline.uring;

/**
 * Figures of one event loop, or the sum over a group's loops ({@link Uring#metrics}).
 *
 * @param poolSlots                 slots in the buffer pool(s)
 * @param slotsInUse                slots holding received data not yet released
 * @param noBufferEvents            receives that found every slot taken (ENOBUFS with none left to offer): the pool
 *                                  grew a chunk, or at its cap the connection read into allocator buffers
 * @param allocatorReadsWhilePoolExhausted receives into {@code RCVBUF_ALLOCATOR} buffers (a copy, as with NIO)
 *                                  because every slot was taken and the pool could not grow
 * @param bytesCopiedOnWrite        bytes the write path copied (heap buffers into direct memory)
 * @param fixedSends                sends from registered memory (WRITE_FIXED, WRITEV_FIXED)
 * @param plainSends                other sends (SEND, SENDMSG, WRITEV)
 * @param poolSlotSends             sends, fixed or plain, whose every byte lay in this loop's pool slots: echoes
 *                                  of received buffers going out from the slots they arrived in, copying nothing
 * @param completionQueueOverflows  passes that found the completion queue overflowed (nothing is lost: the kernel
 *                                  keeps the completions and Ringline fetches them)
 * @param fixedFiles                connections the ring holds as fixed files now (their operations skip the fd
 *                                  lookup); the others use their fd
 * @param loopFailures              loop passes that failed unexpectedly (an io_uring_enter(2) error, a throwing
 *                                  completion handler); each is logged, and the loop goes on after a 1 s pause
 */
public record UringMetrics(long poolSlots, long slotsInUse, long noBufferEvents,
                           long allocatorReadsWhilePoolExhausted, long bytesCopiedOnWrite, long fixedSends,
                           long plainSends, long poolSlotSends, long completionQueueOverflows, long fixedFiles,
                           long loopFailures) {

    UringMetrics plus(UringMetrics other) {
        return new UringMetrics(poolSlots + other.poolSlots, slotsInUse + other.slotsInUse,
                noBufferEvents + other.noBufferEvents,
                allocatorReadsWhilePoolExhausted + other.allocatorReadsWhilePoolExhausted,
                bytesCopiedOnWrite + other.bytesCopiedOnWrite,
                fixedSends + other.fixedSends, plainSends + other.plainSends, poolSlotSends + other.poolSlotSends,
                completionQueueOverflows + other.completionQueueOverflows, fixedFiles + other.fixedFiles,
                loopFailures + other.loopFailures);
    }

    static final UringMetrics ZERO = new UringMetrics(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /** The loop thread's running counts. */
    static final class Counters {
        long noBufferEvents;
        long allocatorReadsWhilePoolExhausted;
        long bytesCopiedOnWrite;
        long fixedSends;
        long plainSends;
        long poolSlotSends;
        long completionQueueOverflows;
        long loopFailures;

        UringMetrics snapshot(long poolSlots, long slotsInUse, long fixedFiles) {
            return new UringMetrics(poolSlots, slotsInUse, noBufferEvents, allocatorReadsWhilePoolExhausted,
                    bytesCopiedOnWrite, fixedSends, plainSends, poolSlotSends, completionQueueOverflows, fixedFiles,
                    loopFailures);
        }
    }
}
