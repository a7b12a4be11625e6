package io.ringline.uring.ring;

import static io.ringline.uring.linux.IoUringConstants.IORING_SETUP_COOP_TASKRUN;
import static io.ringline.uring.linux.IoUringConstants.IORING_SETUP_DEFER_TASKRUN;
import static io.ringline.uring.linux.IoUringConstants.IORING_SETUP_NO_SQARRAY;
import static io.ringline.uring.linux.IoUringConstants.IORING_SETUP_SINGLE_ISSUER;
import static io.ringline.uring.linux.IoUringConstants.IORING_SETUP_SUBMIT_ALL;
import static io.ringline.uring.linux.IoUringConstants.IORING_SETUP_TASKRUN_FLAG;

/**
 * How to set a {@link Ring} up.
 *
 * @param sqEntries      submission queue entries (io_uring rounds up to a power of two)
 * @param cqEntries      completion queue entries; generous, so bursts of multishot completions do not overflow
 * @param startDisabled  create the ring with IORING_SETUP_R_DISABLED, to be {@linkplain Ring#enable() enabled} by
 *                       the thread that will submit (required for SINGLE_ISSUER rings created on another thread)
 * @param optionalFlags  setup flags wanted if the kernel has them; {@link Ring#open} drops them, newest first,
 *                       until the kernel accepts the set
 */
public record RingOptions(int sqEntries, int cqEntries, boolean startDisabled, int optionalFlags) {

    /** Every optional setup flag Ringline knows how to use. */
    public static final int ALL_OPTIONAL_FLAGS = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN
            | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN
            | IORING_SETUP_NO_SQARRAY;

    public RingOptions {
        if (sqEntries < 1 || sqEntries > 32768) {
            throw new IllegalArgumentException("sqEntries: " + sqEntries + " (expected 1..32768)");
        }
        if (cqEntries < sqEntries) {
            throw new IllegalArgumentException("cqEntries: " + cqEntries + " (expected >= sqEntries " + sqEntries + ")");
        }
    }

    /** {@code entries} SQEs, eight times as many CQEs, every optional flag, enabled at once. */
    public static RingOptions of(int entries) {
        return new RingOptions(entries, entries * 8, false, ALL_OPTIONAL_FLAGS);
    }

    public RingOptions withCqEntries(int entries) {
        return new RingOptions(sqEntries, entries, startDisabled, optionalFlags);
    }

    public RingOptions withStartDisabled(boolean disabled) {
        return new RingOptions(sqEntries, cqEntries, disabled, optionalFlags);
    }

    public RingOptions withOptionalFlags(int flags) {
        return new RingOptions(sqEntries, cqEntries, startDisabled, flags);
    }
}
