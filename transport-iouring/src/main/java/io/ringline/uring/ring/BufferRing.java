package io.ringline.uring.ring;

import io.ringline.uring.linux.Errno;
import io.ringline.uring.linux.IoUringStructs.Buf;
import io.ringline.uring.linux.IoUringStructs.BufReg;
import io.ringline.uring.linux.LibC;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static io.ringline.uring.linux.IoUringConstants.IORING_REGISTER_PBUF_RING;
import static io.ringline.uring.linux.IoUringConstants.IORING_UNREGISTER_PBUF_RING;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A provided buffer ring (IORING_REGISTER_PBUF_RING, 5.19): the buffers the kernel may pick from for receives that
 * name its group ({@code IOSQE_BUFFER_SELECT}). We {@link #add} buffers at the tail and {@link #publish} them; the
 * kernel consumes from the head and reports the buffer id it used in each completion. Like liburing's
 * {@code io_uring_buf_ring_add}/{@code io_uring_buf_ring_advance}.
 */
public final class BufferRing implements AutoCloseable {
    private static final VarHandle SHORT = JAVA_SHORT.varHandle();

    private final Ring ring;
    private final short groupId;
    private final int entries;
    private final int mask;
    private final long address;
    private final long size;
    private final MemorySegment memory;
    /** Tail as published to the kernel. */
    private short tail;
    /** Buffers added since the last publish. */
    private int added;
    private boolean closed;

    private BufferRing(Ring ring, short groupId, int entries, long address, long size) {
        this.ring = ring;
        this.groupId = groupId;
        this.entries = entries;
        this.mask = entries - 1;
        this.address = address;
        this.size = size;
        this.memory = MemorySegment.ofAddress(address).reinterpret(size);
    }

    /**
     * Maps page-aligned memory for {@code entries} buffer descriptors (a power of two, at most 32768) and registers
     * it as buffer group {@code groupId}. Fails with EINVAL on kernels before 5.19.
     */
    public static BufferRing register(Ring ring, short groupId, int entries) throws IOException {
        if (entries < 1 || entries > 32768 || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("buffer ring entries must be a power of two in 1..32768: " + entries);
        }
        long size = Buf.SIZE * entries;
        long address = LibC.mmap(size, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS, -1, 0);
        if (address < 0) {
            throw Errno.newIOException("mmap(buffer ring, " + size + " bytes)", (int) -address);
        }
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment registration = scratch.allocate(BufReg.LAYOUT);
            registration.set(JAVA_LONG, BufReg.RING_ADDR, address);
            registration.set(JAVA_INT, BufReg.RING_ENTRIES, entries);
            registration.set(JAVA_SHORT, BufReg.BGID, groupId);
            int ret = LibC.ioUringRegister(ring.fd(), IORING_REGISTER_PBUF_RING, registration.address(), 1);
            if (ret < 0) {
                LibC.munmap(address, size);
                throw Errno.newIOException("io_uring_register(IORING_REGISTER_PBUF_RING, group " + groupId + ", "
                        + entries + " entries; needs Linux 5.19)", -ret);
            }
        }
        return new BufferRing(ring, groupId, entries, address, size);
    }

    public short groupId() {
        return groupId;
    }

    public int entries() {
        return entries;
    }

    /** Writes a buffer descriptor after those already added; the kernel sees it after {@link #publish()}. */
    public void add(long bufferAddress, int length, short bufferId) {
        long entry = (long) ((tail + added) & mask) * Buf.SIZE;
        memory.set(JAVA_LONG, entry + Buf.ADDR, bufferAddress);
        memory.set(JAVA_INT, entry + Buf.LEN, length);
        memory.set(JAVA_SHORT, entry + Buf.BID, bufferId);
        added++;
    }

    /**
     * Makes the added buffers visible to the kernel: the u16 tail store needs release ordering, so the kernel reads
     * complete descriptors.
     */
    public void publish() {
        if (added == 0) {
            return;
        }
        tail = (short) (tail + added);
        added = 0;
        SHORT.setRelease(memory, Buf.RING_TAIL, tail);
    }

    /** Unregisters the group and unmaps the descriptors (the buffers themselves belong to whoever added them). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!ring.isClosed()) { // a closed ring dropped its buffer rings, and its fd number may be another ring's now
            unregister();
        }
        LibC.munmap(address, size);
    }

    private void unregister() {
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment registration = scratch.allocate(BufReg.LAYOUT);
            registration.set(JAVA_SHORT, BufReg.BGID, groupId);
            LibC.ioUringRegister(ring.fd(), IORING_UNREGISTER_PBUF_RING, registration.address(), 1);
        }
    }
}
