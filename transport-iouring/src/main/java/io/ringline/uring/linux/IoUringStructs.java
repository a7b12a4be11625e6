package io.ringline.uring.linux;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/** Layouts and field offsets of the io_uring structs in {@code include/uapi/linux/io_uring.h}. */
public final class IoUringStructs {
    private IoUringStructs() { }

    private static long offset(MemoryLayout layout, String... path) {
        PathElement[] elements = new PathElement[path.length];
        for (int i = 0; i < path.length; i++) {
            elements[i] = PathElement.groupElement(path[i]);
        }
        return layout.byteOffset(elements);
    }

    /** {@code struct io_uring_params}, the in/out argument of io_uring_setup(2). */
    public static final class Params {
        private Params() { }

        private static final StructLayout SQ_OFFSETS = MemoryLayout.structLayout(
                JAVA_INT.withName("head"), JAVA_INT.withName("tail"), JAVA_INT.withName("ring_mask"),
                JAVA_INT.withName("ring_entries"), JAVA_INT.withName("flags"), JAVA_INT.withName("dropped"),
                JAVA_INT.withName("array"), JAVA_INT.withName("resv1"), JAVA_LONG.withName("user_addr"));
        private static final StructLayout CQ_OFFSETS = MemoryLayout.structLayout(
                JAVA_INT.withName("head"), JAVA_INT.withName("tail"), JAVA_INT.withName("ring_mask"),
                JAVA_INT.withName("ring_entries"), JAVA_INT.withName("overflow"), JAVA_INT.withName("cqes"),
                JAVA_INT.withName("flags"), JAVA_INT.withName("resv1"), JAVA_LONG.withName("user_addr"));
        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                JAVA_INT.withName("sq_entries"), JAVA_INT.withName("cq_entries"), JAVA_INT.withName("flags"),
                JAVA_INT.withName("sq_thread_cpu"), JAVA_INT.withName("sq_thread_idle"),
                JAVA_INT.withName("features"), JAVA_INT.withName("wq_fd"),
                MemoryLayout.sequenceLayout(3, JAVA_INT).withName("resv"),
                SQ_OFFSETS.withName("sq_off"), CQ_OFFSETS.withName("cq_off"));

        public static final long SQ_ENTRIES = offset(LAYOUT, "sq_entries");
        public static final long CQ_ENTRIES = offset(LAYOUT, "cq_entries");
        public static final long FLAGS = offset(LAYOUT, "flags");
        public static final long FEATURES = offset(LAYOUT, "features");
        public static final long SQ_OFF_HEAD = offset(LAYOUT, "sq_off", "head");
        public static final long SQ_OFF_TAIL = offset(LAYOUT, "sq_off", "tail");
        public static final long SQ_OFF_RING_MASK = offset(LAYOUT, "sq_off", "ring_mask");
        public static final long SQ_OFF_RING_ENTRIES = offset(LAYOUT, "sq_off", "ring_entries");
        public static final long SQ_OFF_FLAGS = offset(LAYOUT, "sq_off", "flags");
        public static final long SQ_OFF_DROPPED = offset(LAYOUT, "sq_off", "dropped");
        public static final long SQ_OFF_ARRAY = offset(LAYOUT, "sq_off", "array");
        public static final long CQ_OFF_HEAD = offset(LAYOUT, "cq_off", "head");
        public static final long CQ_OFF_TAIL = offset(LAYOUT, "cq_off", "tail");
        public static final long CQ_OFF_RING_MASK = offset(LAYOUT, "cq_off", "ring_mask");
        public static final long CQ_OFF_RING_ENTRIES = offset(LAYOUT, "cq_off", "ring_entries");
        public static final long CQ_OFF_OVERFLOW = offset(LAYOUT, "cq_off", "overflow");
        public static final long CQ_OFF_CQES = offset(LAYOUT, "cq_off", "cqes");
    }

    /**
     * {@code struct io_uring_sqe}, 64 bytes. Most fields are unions; the names here are the ones Ringline writes
     * (io_uring_enter(2) documents which opcode reads which).
     */
    public static final class Sqe {
        private Sqe() { }

        public static final long SIZE = 64;
        public static final long OPCODE = 0;        // u8
        public static final long FLAGS = 1;         // u8, IOSQE_*
        public static final long IOPRIO = 2;        // u16, also send/recv/accept flags
        public static final long FD = 4;            // s32
        public static final long OFF = 8;           // u64, also addr2
        public static final long ADDR = 16;         // u64, also splice_off_in
        public static final long LEN = 24;          // u32
        public static final long OP_FLAGS = 28;     // u32: msg_flags, timeout_flags, cancel_flags, splice_flags...
        public static final long USER_DATA = 32;   // u64
        public static final long BUF_INDEX = 40;    // u16, also buf_group
        public static final long PERSONALITY = 42;  // u16
        public static final long SPLICE_FD_IN = 44; // s32, also file_index, addr_len
        public static final long ADDR3 = 48;        // u64
    }

    /** {@code struct io_uring_cqe}, 16 bytes (rings are never set up with CQE32). */
    public static final class Cqe {
        private Cqe() { }

        public static final long SIZE = 16;
        public static final long USER_DATA = 0;     // u64
        public static final long RES = 8;           // s32
        public static final long FLAGS = 12;        // u32
    }

    /** {@code struct io_uring_buf}: one entry of a provided buffer ring. */
    public static final class Buf {
        private Buf() { }

        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                JAVA_LONG.withName("addr"), JAVA_INT.withName("len"), JAVA_SHORT.withName("bid"),
                JAVA_SHORT.withName("resv"));
        public static final long SIZE = LAYOUT.byteSize();
        public static final long ADDR = offset(LAYOUT, "addr");
        public static final long LEN = offset(LAYOUT, "len");
        public static final long BID = offset(LAYOUT, "bid");
        /** The ring's tail is the {@code u16} that overlaps {@code bufs[0].resv} ({@code struct io_uring_buf_ring}). */
        public static final long RING_TAIL = offset(LAYOUT, "resv");
    }

    /** {@code struct io_uring_buf_reg}, the argument of IORING_REGISTER_PBUF_RING. */
    public static final class BufReg {
        private BufReg() { }

        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                JAVA_LONG.withName("ring_addr"), JAVA_INT.withName("ring_entries"), JAVA_SHORT.withName("bgid"),
                JAVA_SHORT.withName("flags"), JAVA_INT.withName("min_left"),
                MemoryLayout.sequenceLayout(5, JAVA_INT).withName("resv"));
        public static final long RING_ADDR = offset(LAYOUT, "ring_addr");
        public static final long RING_ENTRIES = offset(LAYOUT, "ring_entries");
        public static final long BGID = offset(LAYOUT, "bgid");
    }

    /** {@code struct io_uring_rsrc_register}, the argument of IORING_REGISTER_BUFFERS2. */
    public static final class RsrcRegister {
        private RsrcRegister() { }

        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                JAVA_INT.withName("nr"), JAVA_INT.withName("flags"), JAVA_LONG.withName("resv2"),
                JAVA_LONG.withName("data"), JAVA_LONG.withName("tags"));
        public static final long NR = offset(LAYOUT, "nr");
        public static final long FLAGS = offset(LAYOUT, "flags");
    }

    /** {@code struct io_uring_rsrc_update2}, the argument of IORING_REGISTER_BUFFERS_UPDATE. */
    public static final class RsrcUpdate2 {
        private RsrcUpdate2() { }

        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                JAVA_INT.withName("offset"), JAVA_INT.withName("resv"), JAVA_LONG.withName("data"),
                JAVA_LONG.withName("tags"), JAVA_INT.withName("nr"), JAVA_INT.withName("resv2"));
        public static final long OFFSET = offset(LAYOUT, "offset");
        public static final long DATA = offset(LAYOUT, "data");
        public static final long NR = offset(LAYOUT, "nr");
    }

    /** {@code struct io_uring_getevents_arg}, passed to io_uring_enter(2) with IORING_ENTER_EXT_ARG (5.11). */
    public static final class GeteventsArg {
        private GeteventsArg() { }

        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                JAVA_LONG.withName("sigmask"), JAVA_INT.withName("sigmask_sz"), JAVA_INT.withName("min_wait_usec"),
                JAVA_LONG.withName("ts"));
        public static final long TS = offset(LAYOUT, "ts");
    }

    /** {@code struct __kernel_timespec}. */
    public static final class Timespec {
        private Timespec() { }

        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                JAVA_LONG.withName("tv_sec"), JAVA_LONG.withName("tv_nsec"));
        public static final long TV_SEC = offset(LAYOUT, "tv_sec");
        public static final long TV_NSEC = offset(LAYOUT, "tv_nsec");
    }

    /** {@code struct io_uring_probe} followed by {@code ops_len} entries of {@code struct io_uring_probe_op}. */
    public static final class Probe {
        private Probe() { }

        public static final StructLayout OP_LAYOUT = MemoryLayout.structLayout(
                JAVA_BYTE.withName("op"), JAVA_BYTE.withName("resv"), JAVA_SHORT.withName("flags"),
                JAVA_INT.withName("resv2"));
        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                JAVA_BYTE.withName("last_op"), JAVA_BYTE.withName("ops_len"), JAVA_SHORT.withName("resv"),
                MemoryLayout.sequenceLayout(3, JAVA_INT).withName("resv2"));
        public static final long LAST_OP = offset(LAYOUT, "last_op");
        public static final long OPS = LAYOUT.byteSize();
        public static final long OP_SIZE = OP_LAYOUT.byteSize();
        public static final long OP_FLAGS = offset(OP_LAYOUT, "flags");
    }

    /** {@code struct iovec}. */
    public static final class Iovec {
        private Iovec() { }

        public static final long SIZE = 16;
        public static final long BASE = 0;
        public static final long LEN = 8;
    }

    /** {@code struct msghdr} (x86_64 / LP64). */
    public static final class MsgHdr {
        private MsgHdr() { }

        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                JAVA_LONG.withName("msg_name"), JAVA_INT.withName("msg_namelen"), MemoryLayout.paddingLayout(4),
                JAVA_LONG.withName("msg_iov"), JAVA_LONG.withName("msg_iovlen"), JAVA_LONG.withName("msg_control"),
                JAVA_LONG.withName("msg_controllen"), JAVA_INT.withName("msg_flags"), MemoryLayout.paddingLayout(4));
        public static final long SIZE = LAYOUT.byteSize();
        public static final long IOV = offset(LAYOUT, "msg_iov");
        public static final long IOVLEN = offset(LAYOUT, "msg_iovlen");
    }
}
