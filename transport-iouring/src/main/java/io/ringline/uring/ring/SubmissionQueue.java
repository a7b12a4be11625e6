package io.ringline.uring.ring;

import io.ringline.uring.linux.IoUringStructs.Params;
import io.ringline.uring.linux.IoUringStructs.Sqe;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static io.ringline.uring.linux.IoUringConstants.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The submission queue, with liburing's {@code io_uring_prep_*} helpers: each {@code prep*} method takes the next
 * SQE, fills it for one operation and tags it with {@code userData}, which comes back in the completion. Nothing
 * reaches the kernel before {@link Ring#submit()} or {@link Ring#submitAndWait}; a full queue is submitted to make
 * room.
 */
public final class SubmissionQueue {
    private static final VarHandle INT = JAVA_INT.varHandle();

    private final Ring ring;
    private final MemorySegment ringMemory;
    private final MemorySegment sqes;
    private final long headOffset;
    private final long tailOffset;
    private final long flagsOffset;
    private final int mask;
    private final int entries;
    /** Our tail: SQEs up to here are prepared; the kernel sees them once {@link #flush()} publishes it. */
    private int tail;

    SubmissionQueue(Ring ring, MemorySegment ringMemory, MemorySegment sqes, MemorySegment params, boolean noSqArray) {
        this.ring = ring;
        this.ringMemory = ringMemory;
        this.sqes = sqes;
        this.headOffset = params.get(JAVA_INT, Params.SQ_OFF_HEAD);
        this.tailOffset = params.get(JAVA_INT, Params.SQ_OFF_TAIL);
        this.flagsOffset = params.get(JAVA_INT, Params.SQ_OFF_FLAGS);
        this.mask = ringMemory.get(JAVA_INT, params.get(JAVA_INT, Params.SQ_OFF_RING_MASK));
        this.entries = ringMemory.get(JAVA_INT, params.get(JAVA_INT, Params.SQ_OFF_RING_ENTRIES));
        this.tail = ringMemory.get(JAVA_INT, tailOffset);
        if (!noSqArray) {
            // Without IORING_SETUP_NO_SQARRAY the kernel reads SQE indexes from this array: map slot i to SQE i once.
            long array = params.get(JAVA_INT, Params.SQ_OFF_ARRAY);
            for (int i = 0; i < entries; i++) {
                ringMemory.set(JAVA_INT, array + 4L * i, i);
            }
        }
    }

    public int entries() {
        return entries;
    }

    /** SQEs prepared and not yet taken by the kernel. */
    public int pending() {
        return tail - (int) INT.getAcquire(ringMemory, headOffset);
    }

    /** Room left before the queue must be submitted. */
    public int available() {
        return entries - pending();
    }

    /** The ring's {@code IORING_SQ_*} flags (e.g. CQ_OVERFLOW, TASKRUN), read with acquire ordering. */
    public int flags() {
        return (int) INT.getAcquire(ringMemory, flagsOffset);
    }

    /**
     * Publishes the prepared SQEs to the kernel (the tail store needs release ordering so the kernel sees the
     * SQE contents first) and returns how many it has yet to take.
     */
    int flush() {
        return flushTo(tail);
    }

    /** As {@link #flush()}, publishing only the SQEs before {@code end}. */
    int flushTo(int end) {
        INT.setRelease(ringMemory, tailOffset, end);
        return end - (int) INT.getAcquire(ringMemory, headOffset);
    }

    /** The offset of the next SQE in the SQE array, zeroed; submits first if the queue is full. */
    private long nextSqe() {
        int head = (int) INT.getAcquire(ringMemory, headOffset);
        if (tail - head == entries) {
            // Submit only whole chains: an SQE flagged IO_LINK/IO_HARDLINK links to the one prepared next, which
            // must reach the kernel in the same submission or the link is cut.
            int end = tail;
            while (end != head && (sqes.get(JAVA_BYTE, ((end - 1) & mask) * Sqe.SIZE + Sqe.FLAGS)
                    & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK)) != 0) {
                end--;
            }
            int published = ringMemory.get(JAVA_INT, tailOffset); // the ring's tail: only we write it
            if (end - published < 0) {
                end = published; // what the kernel was shown already stays shown
            }
            if (end == head) {
                throw new SubmissionQueueFullException(entries, "one chain of linked SQEs fills the whole queue");
            }
            try {
                ring.submitTo(end);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (tail - (int) INT.getAcquire(ringMemory, headOffset) == entries) {
                throw new SubmissionQueueFullException(entries);
            }
        }
        long sqe = (tail & mask) * Sqe.SIZE;
        tail++;
        for (long offset = 0; offset < Sqe.SIZE; offset += 8) {
            sqes.set(JAVA_LONG, sqe + offset, 0L);
        }
        return sqe;
    }

    /** liburing's {@code io_uring_prep_rw}: the fields every operation sets. */
    private long prepRw(byte opcode, int fd, long address, int length, long offset, long userData) {
        long sqe = nextSqe();
        sqes.set(JAVA_BYTE, sqe + Sqe.OPCODE, opcode);
        sqes.set(JAVA_INT, sqe + Sqe.FD, fd);
        sqes.set(JAVA_LONG, sqe + Sqe.OFF, offset);
        sqes.set(JAVA_LONG, sqe + Sqe.ADDR, address);
        sqes.set(JAVA_INT, sqe + Sqe.LEN, length);
        sqes.set(JAVA_LONG, sqe + Sqe.USER_DATA, userData);
        return sqe;
    }

    private void orFlags(long sqe, byte flags) {
        sqes.set(JAVA_BYTE, sqe + Sqe.FLAGS, (byte) (sqes.get(JAVA_BYTE, sqe + Sqe.FLAGS) | flags));
    }

    private void orIoprio(long sqe, short flags) {
        sqes.set(JAVA_SHORT, sqe + Sqe.IOPRIO, (short) (sqes.get(JAVA_SHORT, sqe + Sqe.IOPRIO) | flags));
    }

    public void prepNop(long userData) {
        prepRw(IORING_OP_NOP, -1, 0, 0, 0, userData);
    }

    /** read(2) of {@code length} bytes at {@code address}; {@code offset -1} reads at the file position. */
    public void prepRead(int fd, long address, int length, long offset, long userData) {
        prepRw(IORING_OP_READ, fd, address, length, offset, userData);
    }

    /** accept4(2); {@code address}/{@code addressLength} (a {@code socklen_t*}) may be 0. */
    public void prepAccept(int fd, long address, long addressLength, int flags, long userData) {
        long sqe = prepRw(IORING_OP_ACCEPT, fd, address, 0, addressLength, userData);
        sqes.set(JAVA_INT, sqe + Sqe.OP_FLAGS, flags);
    }

    /** Multishot accept (5.19): one completion per accepted connection, flagged CQE_F_MORE while it lasts. */
    public void prepMultishotAccept(int fd, int flags, long userData) {
        long sqe = prepRw(IORING_OP_ACCEPT, fd, 0, 0, 0, userData);
        sqes.set(JAVA_INT, sqe + Sqe.OP_FLAGS, flags);
        orIoprio(sqe, IORING_ACCEPT_MULTISHOT);
    }

    /** connect(2) to the sockaddr at {@code address}. */
    public void prepConnect(int fd, long address, int addressLength, long userData) {
        prepRw(IORING_OP_CONNECT, fd, address, 0, addressLength, userData);
    }

    /** recv(2) into {@code length} bytes at {@code address}. */
    public void prepRecv(int fd, long address, int length, int msgFlags, long userData) {
        long sqe = prepRw(IORING_OP_RECV, fd, address, length, 0, userData);
        sqes.set(JAVA_INT, sqe + Sqe.OP_FLAGS, msgFlags);
    }

    /**
     * recv(2) into a buffer the kernel takes from provided buffer group {@code bufferGroup} (IOSQE_BUFFER_SELECT);
     * the completion names it in its flags ({@code IORING_CQE_F_BUFFER}, id above IORING_CQE_BUFFER_SHIFT).
     */
    public void prepRecvBufferSelect(int fd, short bufferGroup, int msgFlags, long userData) {
        prepRecvBufferSelect(fd, bufferGroup, 0, msgFlags, userData);
    }

    /** As above, receiving at most {@code length} bytes (0: up to the whole buffer). */
    public void prepRecvBufferSelect(int fd, short bufferGroup, int length, int msgFlags, long userData) {
        long sqe = prepRw(IORING_OP_RECV, fd, 0, length, 0, userData);
        sqes.set(JAVA_INT, sqe + Sqe.OP_FLAGS, msgFlags);
        sqes.set(JAVA_SHORT, sqe + Sqe.BUF_INDEX, bufferGroup);
        orFlags(sqe, IOSQE_BUFFER_SELECT);
    }

    /**
     * Multishot recv (6.0): like {@link #prepRecvBufferSelect} but it keeps receiving, one completion per chunk,
     * until a completion arrives without IORING_CQE_F_MORE (EOF, an error, or no buffer left: ENOBUFS).
     */
    public void prepRecvMultishot(int fd, short bufferGroup, int msgFlags, long userData) {
        prepRecvBufferSelect(fd, bufferGroup, msgFlags, userData);
        orIoprio(tailSqe(), IORING_RECV_MULTISHOT);
    }

    /** send(2) of {@code length} bytes at {@code address}. */
    public void prepSend(int fd, long address, int length, int msgFlags, long userData) {
        long sqe = prepRw(IORING_OP_SEND, fd, address, length, 0, userData);
        sqes.set(JAVA_INT, sqe + Sqe.OP_FLAGS, msgFlags);
    }

    /** sendmsg(2) with the {@code struct msghdr} at {@code msghdr}. */
    public void prepSendmsg(int fd, long msghdr, int msgFlags, long userData) {
        long sqe = prepRw(IORING_OP_SENDMSG, fd, msghdr, 1, 0, userData);
        sqes.set(JAVA_INT, sqe + Sqe.OP_FLAGS, msgFlags);
    }

    /** write(2) from registered buffer {@code bufferIndex}; the memory must lie inside it. */
    public void prepWriteFixed(int fd, long address, int length, long offset, short bufferIndex, long userData) {
        long sqe = prepRw(IORING_OP_WRITE_FIXED, fd, address, length, offset, userData);
        sqes.set(JAVA_SHORT, sqe + Sqe.BUF_INDEX, bufferIndex);
    }

    /** writev(2) whose iovecs all lie in registered buffer {@code bufferIndex} (6.15). */
    public void prepWritevFixed(int fd, long iovecs, int count, long offset, short bufferIndex, long userData) {
        long sqe = prepRw(IORING_OP_WRITEV_FIXED, fd, iovecs, count, offset, userData);
        sqes.set(JAVA_SHORT, sqe + Sqe.BUF_INDEX, bufferIndex);
    }

    /** poll(2) for {@code events} (POLLIN, POLLOUT...), one shot. */
    public void prepPollAdd(int fd, int events, long userData) {
        long sqe = prepRw(IORING_OP_POLL_ADD, fd, 0, 0, 0, userData);
        sqes.set(JAVA_INT, sqe + Sqe.OP_FLAGS, events);
    }

    /** Cancels the in-flight operation tagged {@code targetUserData}; it completes with -ECANCELED if caught. */
    public void prepCancel(long targetUserData, int cancelFlags, long userData) {
        long sqe = prepRw(IORING_OP_ASYNC_CANCEL, -1, targetUserData, 0, 0, userData);
        sqes.set(JAVA_INT, sqe + Sqe.OP_FLAGS, cancelFlags);
    }

    /** Cancels every in-flight operation on {@code fd} (IORING_ASYNC_CANCEL_FD | ALL, 5.19). */
    public void prepCancelFd(int fd, long userData) {
        long sqe = prepRw(IORING_OP_ASYNC_CANCEL, fd, 0, 0, 0, userData);
        sqes.set(JAVA_INT, sqe + Sqe.OP_FLAGS, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL);
    }

    /** Any operation, field by field: for callers that bring their own SQE contents. */
    public void prep(byte opcode, byte flags, short ioprio, int fd, long offset, long address, int length,
                     int opFlags, short bufferIndex, long userData) {
        long sqe = prepRw(opcode, fd, address, length, offset, userData);
        sqes.set(JAVA_BYTE, sqe + Sqe.FLAGS, flags);
        sqes.set(JAVA_SHORT, sqe + Sqe.IOPRIO, ioprio);
        sqes.set(JAVA_INT, sqe + Sqe.OP_FLAGS, opFlags);
        sqes.set(JAVA_SHORT, sqe + Sqe.BUF_INDEX, bufferIndex);
    }

    /** Sets IOSQE_* flags (e.g. IOSQE_IO_LINK, IOSQE_CQE_SKIP_SUCCESS) on the SQE prepared last. */
    public void setFlagsOnLast(byte flags) {
        orFlags(tailSqe(), flags);
    }

    /**
     * Points the SQE prepared last at fixed file {@code index} of the ring's {@link FileTable} instead of the fd it
     * was prepared with (liburing: the index as fd plus IOSQE_FIXED_FILE).
     */
    public void useFixedFileOnLast(int index) {
        long sqe = tailSqe();
        sqes.set(JAVA_INT, sqe + Sqe.FD, index);
        orFlags(sqe, IOSQE_FIXED_FILE);
    }

    private long tailSqe() {
        return ((tail - 1) & mask) * Sqe.SIZE;
    }
}
