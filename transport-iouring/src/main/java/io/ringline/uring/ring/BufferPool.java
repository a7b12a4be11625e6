package io.ringline.uring.ring;

import io.ringline.uring.linux.Errno;
import io.ringline.uring.linux.ErrnoException;
import io.ringline.uring.linux.LibC;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A pool of fixed-size io buffers ("slots") for one ring, the design of the original D echo server: page-aligned
 * chunks of memory, all slots offered to the kernel through one provided {@link BufferRing} (so receives pick a
 * free slot themselves). A slot's id is its buffer id in the ring. Grows a chunk at a time up to a cap.
 *
 * <p>Optionally each chunk is also registered with the ring as one fixed buffer, so sends from a slot can use
 * WRITE_FIXED. Where that fails (ENOMEM under a low {@code ulimit -l}, or a kernel without sparse buffer tables)
 * the pool still receives, and {@link #fixedBufferIndex} answers -1 so sends go out plain.
 *
 * <p>Not thread-safe: the ring's thread owns it, except for {@link #returnAfterClose()}.
 */
public final class BufferPool implements AutoCloseable {
    /** A provided buffer ring's most entries (io_uring_register(2), IORING_REGISTER_PBUF_RING: 32768). */
    private static final int MAX_RING_ENTRIES = 32768;
    /** The most fixed buffers a ring's table holds (the kernel's IORING_MAX_REG_BUFFERS): chunks beyond stay plain. */
    private static final int MAX_FIXED_BUFFERS = 16384;

    private final Ring ring;
    private final BufferRing bufferRing;
    private final int slotSize;
    private final int slotsPerChunk;
    private final long chunkSize;
    private final long[] chunkAddresses;
    private final boolean[] chunkRegistered;
    /** Entries of the fixed buffer table: the chunks from this index on are never registered. */
    private final int fixedBuffers;
    private final boolean registrationWanted;
    private IOException registrationFailure;
    private int chunks;
    private int slotsInUse;
    private boolean closed;
    /**
     * Slots still taken when the pool closed, less those returned since through {@link #returnAfterClose()} (which
     * counts below zero when a return comes just before the close). The memory is unmapped when this reaches zero,
     * so a buffer its user still holds stays readable after the pool's ring is gone.
     */
    private final AtomicInteger takenAfterClose = new AtomicInteger();

    private BufferPool(Ring ring, BufferRing bufferRing, int slotSize, int slotsPerChunk, int maxChunks,
                       boolean registrationWanted, IOException registrationFailure) {
        this.ring = ring;
        this.bufferRing = bufferRing;
        this.slotSize = slotSize;
        this.slotsPerChunk = slotsPerChunk;
        this.chunkSize = (long) slotSize * slotsPerChunk;
        this.chunkAddresses = new long[maxChunks];
        this.chunkRegistered = new boolean[maxChunks];
        this.fixedBuffers = Math.min(maxChunks, MAX_FIXED_BUFFERS);
        this.registrationWanted = registrationWanted;
        this.registrationFailure = registrationFailure;
    }

    /**
     * Creates a pool of {@code slotsPerChunk} slots of {@code slotSize} bytes, published as buffer group
     * {@code groupId}, able to grow to {@code maxSlots} (rounded up to whole chunks, within the buffer ring's 32768).
     *
     * @param register whether to register the memory as fixed buffers (failures are kept, see
     *                 {@link #registrationFailure()})
     * @throws IOException when the provided buffer ring or the first chunk cannot be set up (e.g. a kernel before
     *                     5.19: EINVAL)
     */
    public static BufferPool create(Ring ring, short groupId, int slotSize, int slotsPerChunk, int maxSlots,
                                    boolean register) throws IOException {
        if (slotsPerChunk < 1 || slotsPerChunk > MAX_RING_ENTRIES) {
            throw new IllegalArgumentException("a buffer ring holds 1 to " + MAX_RING_ENTRIES + " slots, not "
                    + slotsPerChunk + " per chunk");
        }
        // maxSlots rounded up to whole chunks, but no more chunks than the buffer ring holds.
        long chunksWanted = ((long) Math.max(1, maxSlots) + slotsPerChunk - 1) / slotsPerChunk;
        int maxChunks = (int) Math.max(1, Math.min(chunksWanted, MAX_RING_ENTRIES / slotsPerChunk));
        int ringEntries = Integer.highestOneBit(Math.max(1, maxChunks * slotsPerChunk - 1)) << 1;
        IOException registrationFailure = null;
        if (register) {
            try {
                ring.registerBufferTable(Math.min(maxChunks, MAX_FIXED_BUFFERS));
            } catch (IOException e) {
                registrationFailure = e;
            }
        }
        BufferRing bufferRing = BufferRing.register(ring, groupId, ringEntries);
        BufferPool pool = new BufferPool(ring, bufferRing, slotSize, slotsPerChunk, maxChunks,
                register && registrationFailure == null, registrationFailure);
        try {
            if (!pool.grow()) {
                throw new IllegalStateException("cannot happen: a new pool has room for its first chunk");
            }
        } catch (IOException | RuntimeException e) {
            pool.close();
            throw e;
        }
        return pool;
    }

    /**
     * Adds a chunk of slots, if below the cap, and offers them to the kernel. Returns false at the cap.
     *
     * @throws IOException when the memory cannot be mapped
     */
    public boolean grow() throws IOException {
        if (chunks == chunkAddresses.length) {
            return false;
        }
        long address = LibC.mmap(chunkSize, LibC.PROT_READ | LibC.PROT_WRITE,
                LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_POPULATE, -1, 0);
        if (address < 0) {
            throw Errno.newIOException("mmap(buffer pool chunk, " + chunkSize + " bytes)", (int) -address);
        }
        int chunk = chunks++;
        chunkAddresses[chunk] = address;
        if (registrationWanted && registrationFailure == null && chunk < fixedBuffers) {
            try {
                ring.updateBuffer(chunk, address, chunkSize);
                chunkRegistered[chunk] = true;
            } catch (IOException e) {
                registrationFailure = e; // later chunks stay unregistered too: the limit will not have moved
            }
        }
        int firstSlot = chunk * slotsPerChunk;
        for (int slot = firstSlot; slot < firstSlot + slotsPerChunk; slot++) {
            bufferRing.add(slotAddress(slot), slotSize, (short) slot);
        }
        bufferRing.publish();
        return true;
    }

    public short groupId() {
        return bufferRing.groupId();
    }

    public int slotSize() {
        return slotSize;
    }

    /** Slots in the pool, free or not. */
    public int slots() {
        return chunks * slotsPerChunk;
    }

    /** Slots the kernel filled and that have not been {@linkplain #recycle recycled}. */
    public int slotsInUse() {
        return slotsInUse;
    }

    public boolean canGrow() {
        return chunks < chunkAddresses.length;
    }

    /** Why registering (some of) the memory as fixed buffers failed, or null. */
    public IOException registrationFailure() {
        return registrationFailure;
    }

    /** Whether the registration failed for lack of locked memory (RLIMIT_MEMLOCK). */
    public boolean registrationHitMemlock() {
        return registrationFailure instanceof ErrnoException e && e.errno() == Errno.ENOMEM;
    }

    public long slotAddress(int slot) {
        return chunkAddresses[slot / slotsPerChunk] + (long) (slot % slotsPerChunk) * slotSize;
    }

    /** The fixed buffer index that covers {@code slot}, or -1 when its chunk is not registered. */
    public int fixedBufferIndex(int slot) {
        int chunk = slot / slotsPerChunk;
        return chunkRegistered[chunk] ? chunk : -1;
    }

    /** Notes that a completion handed {@code slot} to us: it is ours until {@link #recycle}d. */
    public void taken(int slot) {
        slotsInUse++;
    }

    /** Offers {@code slot} to the kernel again (visible after {@link #publish()}). */
    public void recycle(int slot) {
        slotsInUse--;
        bufferRing.add(slotAddress(slot), slotSize, (short) slot);
    }

    /**
     * Whether some slot is free: in the buffer ring, or recycled and offered at the next {@link #publish()}. A receive
     * that found the ring empty (ENOBUFS) while this holds ran in a batch that used the ring up before completions
     * of that batch gave slots back; it can simply receive again.
     */
    public boolean hasFreeSlots() {
        return slotsInUse < slots();
    }

    /** Publishes recycled slots to the kernel; call once per batch of completions rather than per slot. */
    public void publish() {
        bufferRing.publish();
    }

    /**
     * Unregisters the buffer ring, and unmaps the memory once no slot is taken: at once if none is, else when the last
     * slot still taken comes back through {@link #returnAfterClose()}.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        bufferRing.close();
        if (takenAfterClose.addAndGet(slotsInUse) == 0) {
            unmap();
        }
    }

    /**
     * Returns a slot once the pool's thread no longer takes slots back ({@link #recycle} is for that thread, before
     * {@link #close()}): from any thread, also one racing the close. The last slot returned unmaps the memory.
     */
    public void returnAfterClose() {
        if (takenAfterClose.decrementAndGet() == 0) {
            unmap(); // only after close() can the count come back up to zero: its addAndGet is what raised it
        }
    }

    private void unmap() {
        for (int chunk = 0; chunk < chunks; chunk++) {
            LibC.munmap(chunkAddresses[chunk], chunkSize);
        }
    }
}
