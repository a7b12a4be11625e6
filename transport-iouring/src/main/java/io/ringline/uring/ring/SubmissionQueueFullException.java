package io.ringline.uring.ring;

/**
 * The submission queue is full and the kernel would not take its entries, because its completion queue overflowed
 * and completions must be reaped first. The operation was not queued.
 */
public final class SubmissionQueueFullException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public SubmissionQueueFullException(int entries) {
        super("io_uring submission queue full (" + entries + " entries) and the kernel is not taking entries "
                + "until completions are reaped; raise the ring size or reap before submitting more");
    }

    public SubmissionQueueFullException(int entries, String why) {
        super("io_uring submission queue full (" + entries + " entries): " + why + "; raise the ring size");
    }
}
