package io.ringline.uring.linux;

/**
 * Numbers from the kernel's {@code include/uapi/linux/io_uring.h}, transcribed with the kernel version that added
 * each one where it is newer than 5.11 (the oldest kernel the ring core runs on; the transport needs 5.19; see
 * io_uring_setup(2), io_uring_enter(2), io_uring_register(2)).
 */
public final class IoUringConstants {
    private IoUringConstants() { }

    // io_uring_setup(2) flags
    public static final int IORING_SETUP_CQSIZE = 1 << 3;
    public static final int IORING_SETUP_CLAMP = 1 << 4;
    public static final int IORING_SETUP_R_DISABLED = 1 << 6;
    public static final int IORING_SETUP_SUBMIT_ALL = 1 << 7;              // 5.18
    public static final int IORING_SETUP_COOP_TASKRUN = 1 << 8;            // 5.19
    public static final int IORING_SETUP_TASKRUN_FLAG = 1 << 9;            // 5.19
    public static final int IORING_SETUP_SINGLE_ISSUER = 1 << 12;          // 6.0
    public static final int IORING_SETUP_DEFER_TASKRUN = 1 << 13;          // 6.1
    public static final int IORING_SETUP_NO_SQARRAY = 1 << 16;             // 6.6

    // io_uring_params.features
    public static final int IORING_FEAT_SINGLE_MMAP = 1 << 0;
    public static final int IORING_FEAT_NODROP = 1 << 1;
    public static final int IORING_FEAT_SUBMIT_STABLE = 1 << 2;
    public static final int IORING_FEAT_FAST_POLL = 1 << 5;
    public static final int IORING_FEAT_EXT_ARG = 1 << 8;
    public static final int IORING_FEAT_NO_IOWAIT = 1 << 17;               // 6.15

    // mmap(2) offsets of the three ring regions
    public static final long IORING_OFF_SQ_RING = 0L;
    public static final long IORING_OFF_SQES = 0x10000000L;

    // sq_ring flags
    public static final int IORING_SQ_CQ_OVERFLOW = 1 << 1;
    public static final int IORING_SQ_TASKRUN = 1 << 2;

    // io_uring_enter(2) flags
    public static final int IORING_ENTER_GETEVENTS = 1 << 0;
    public static final int IORING_ENTER_EXT_ARG = 1 << 3;
    public static final int IORING_ENTER_REGISTERED_RING = 1 << 4;
    public static final int IORING_ENTER_NO_IOWAIT = 1 << 7;               // 6.15

    // io_uring_register(2) opcodes
    public static final int IORING_REGISTER_BUFFERS = 0;
    public static final int IORING_UNREGISTER_BUFFERS = 1;
    public static final int IORING_REGISTER_PROBE = 8;
    public static final int IORING_REGISTER_FILES2 = 13;                   // 5.13
    public static final int IORING_REGISTER_FILES_UPDATE2 = 14;            // 5.13
    public static final int IORING_REGISTER_BUFFERS2 = 15;                 // 5.13
    public static final int IORING_REGISTER_BUFFERS_UPDATE = 16;           // 5.13
    public static final int IORING_REGISTER_ENABLE_RINGS = 12;
    public static final int IORING_REGISTER_RING_FDS = 20;                 // 5.18
    public static final int IORING_UNREGISTER_RING_FDS = 21;               // 5.18
    public static final int IORING_REGISTER_PBUF_RING = 22;                // 5.19
    public static final int IORING_UNREGISTER_PBUF_RING = 23;              // 5.19

    /** io_uring_rsrc_register.flags: an empty table to fill with IORING_REGISTER_BUFFERS_UPDATE (5.19). */
    public static final int IORING_RSRC_REGISTER_SPARSE = 1;

    /** io_uring_probe_op.flags: the opcode is supported. */
    public static final int IO_URING_OP_SUPPORTED = 1;

    // Opcodes (enum io_uring_op)
    public static final byte IORING_OP_NOP = 0;
    public static final byte IORING_OP_READV = 1;
    public static final byte IORING_OP_WRITEV = 2;
    public static final byte IORING_OP_WRITE_FIXED = 5;
    public static final byte IORING_OP_POLL_ADD = 6;
    public static final byte IORING_OP_SENDMSG = 9;
    public static final byte IORING_OP_TIMEOUT = 11;
    public static final byte IORING_OP_ACCEPT = 13;
    public static final byte IORING_OP_ASYNC_CANCEL = 14;
    public static final byte IORING_OP_CONNECT = 16;
    public static final byte IORING_OP_CLOSE = 19;
    public static final byte IORING_OP_READ = 22;
    public static final byte IORING_OP_WRITE = 23;
    public static final byte IORING_OP_SEND = 26;
    public static final byte IORING_OP_RECV = 27;
    public static final byte IORING_OP_SPLICE = 30;
    public static final byte IORING_OP_SHUTDOWN = 34;
    public static final byte IORING_OP_SOCKET = 45;                        // 5.19
    public static final byte IORING_OP_SEND_ZC = 47;                       // 6.0
    public static final byte IORING_OP_WRITEV_FIXED = 61;                  // 6.15
    /** One past the highest opcode this class knows. */
    public static final int IORING_OP_LAST = 65;

    // io_uring_sqe.flags
    public static final byte IOSQE_FIXED_FILE = 1 << 0;
    public static final byte IOSQE_IO_LINK = 1 << 2;
    public static final byte IOSQE_IO_HARDLINK = 1 << 3;
    public static final byte IOSQE_ASYNC = 1 << 4;
    public static final byte IOSQE_BUFFER_SELECT = 1 << 5;
    public static final byte IOSQE_CQE_SKIP_SUCCESS = 1 << 6;

    // ioprio bits of send/recv/accept SQEs
    public static final short IORING_RECVSEND_POLL_FIRST = 1 << 0;
    public static final short IORING_RECV_MULTISHOT = 1 << 1;              // 6.0
    public static final short IORING_RECVSEND_FIXED_BUF = 1 << 2;          // 6.0
    public static final short IORING_ACCEPT_MULTISHOT = 1 << 0;            // 5.19

    // ASYNC_CANCEL flags (5.19)
    public static final int IORING_ASYNC_CANCEL_ALL = 1 << 0;
    public static final int IORING_ASYNC_CANCEL_FD = 1 << 1;

    // io_uring_cqe.flags
    public static final int IORING_CQE_F_BUFFER = 1 << 0;
    public static final int IORING_CQE_F_MORE = 1 << 1;
    public static final int IORING_CQE_F_SOCK_NONEMPTY = 1 << 2;
    public static final int IORING_CQE_F_NOTIF = 1 << 3;
    /** The provided buffer id sits in the upper 16 bits of {@code cqe.flags}. */
    public static final int IORING_CQE_BUFFER_SHIFT = 16;
}
