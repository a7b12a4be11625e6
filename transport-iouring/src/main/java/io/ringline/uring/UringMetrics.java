package io.ringline.uring;

/** Skeleton: being written. */
public record UringMetrics(long poolSlots, long slotsInUse, long noBufferEvents, long bytesCopiedOnWrite,
                           long fixedSends, long plainSends) { }
