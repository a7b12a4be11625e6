package io.ringline.uring;

import io.netty.channel.IoEvent;

/**
 * A completion delivered to a {@link io.netty.channel.IoHandle} registered with a {@link UringIoHandler}. The
 * handler reuses one instance for every completion: read it inside {@code handle(...)}, do not keep it.
 */
public final class UringIoEvent implements IoEvent {
    private int op;
    private int data;
    private int res;
    private int flags;

    UringIoEvent set(int op, int data, int res, int flags) {
        this.op = op;
        this.data = data;
        this.res = res;
        this.flags = flags;
        return this;
    }

    /** The operation kind the submitter tagged the SQE with (0..255). */
    public int op() {
        return op;
    }

    /** The 16 bits of submitter data the SQE was tagged with. */
    public int data() {
        return data;
    }

    /** The completion's result: a count, a file descriptor, or {@code -errno}. */
    public int res() {
        return res;
    }

    /** {@code IORING_CQE_F_*} flags, with a provided buffer's id above IORING_CQE_BUFFER_SHIFT. */
    public int flags() {
        return flags;
    }

    @Override
    public String toString() {
        return "UringIoEvent(op " + op + ", data " + data + ", res " + res + ", flags 0x" + Integer.toHexString(flags)
                + ")";
    }
}
