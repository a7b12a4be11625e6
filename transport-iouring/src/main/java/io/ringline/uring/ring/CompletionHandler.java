package io.ringline.uring.ring;

/** Receives completions from {@link CompletionQueue#drain}. */
@FunctionalInterface
public interface CompletionHandler {
    /**
     * @param userData what the SQE was tagged with
     * @param res      the operation's result: a count, a file descriptor, or {@code -errno}
     * @param flags    {@code IORING_CQE_F_*}, with a provided buffer's id above IORING_CQE_BUFFER_SHIFT
     */
    void complete(long userData, int res, int flags);
}
