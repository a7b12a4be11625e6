package io.ringline.uring.ring;

import io.ringline.uring.linux.Errno;
import io.ringline.uring.linux.ErrnoException;
import io.ringline.uring.linux.LibC;

import java.io.IOException;

/**
 * A pool of fixed-size io buffers ("slots") for one ring, the design of the original D echo server: page-aligned
 * chunks of memory, each registered with the ring as one fixed buffer (so sends from a slot can use WRITE_FIXED),
 * all slots offered to the kernel through one provided {@link BufferRing} (so receives pick a free slot
 * themselves). A slot's id is its buffer id in the ring. Grows a chunk at a time up to a cap.
 *
 * <p>Not every free slot is in the buffer ring. The kernel takes provided buffers in the order they were added, so
 * offering every free slot would cycle receives through the whole pool, each landing in memory the CPU caches have
 * long dropped. Instead free slots wait in a stack, most recently recycled on top, and only enough of them to
 * cover one batch of receives are offered ({@link #publish}); when the kernel still ran dry (ENOBUFS) while slots
 * were free, {@link #offerFellShort} doubles that number at the next publish.
 *
 * <p>Registration is optional: where it fails (ENOMEM under a low {@code ulimit -l}, or a kernel without sparse
 * buffer tables) the pool still receives, and {@link #fixedBufferIndex} answers -1 so sends go out plain.
 *
 * <p>Not thread-safe: the ring's thread owns it.
 */
public final class BufferPool implements AutoCloseable {
    /** Slots offered at first: more than the receives one loop pass of a few dozen busy connections completes. */
    static final int INITIAL_OFFER = 64;

    private final Ring ring;
    private final BufferRing bufferRing;
    private final int slotSize;
    private final int slotsPerChunk;
    private final long chunkSize;
    private final long[] chunkAddresses;
    private final boolean[] chunkRegistered;
    private final boolean registrationWanted;
    private IOException registrationFailure;
    private int chunks;
    private int slotsInUse;
    /** Free slots not in the buffer ring; the most recently recycled on top. */
    private final int[] waiting;
    private int waitingCount;
    /** Slots in the buffer ring that no completion has named yet. */
    private int offered;
    /** How many slots to keep in the buffer ring. */
    private int offerTarget;
    /** A receive found the ring empty while slots were free: offer more at the next publish. */
    private boolean offerFellShort;
    private boolean closed;

    private BufferPool(Ring ring, BufferRing bufferRing, int slotSize, int slotsPerChunk, int maxChunks,
                       boolean registrationWanted, IOException registrationFailure) {
        this.ring = ring;
        this.bufferRing = bufferRing;
        this.slotSize = slotSize;
        this.slotsPerChunk = slotsPerChunk;
        this.chunkSize = (long) slotSize * slotsPerChunk;
        this.chunkAddresses = new long[maxChunks];
        this.chunkRegistered = new boolean[maxChunks];
        this.waiting = new int[maxChunks * slotsPerChunk];
        this.offerTarget = Math.min(INITIAL_OFFER, slotsPerChunk);
        this.registrationWanted = registrationWanted;
        this.registrationFailure = registrationFailure;
    }

    /**
     * Creates a pool of {@code slotsPerChunk} slots of {@code slotSize} bytes, published as buffer group
     * {@code groupId}, able to grow to {@code maxSlots}.
     *
     * @param register whether to register the memory as fixed buffers (failures are kept, see
     *                 {@link #registrationFailure()})
     * @throws IOException when the provided buffer ring or the first chunk cannot be set up (e.g. a kernel before
     *                     5.19: EINVAL)
     */
    public static BufferPool create(Ring ring, short groupId, int slotSize, int slotsPerChunk, int maxSlots,
                                    boolean register) throws IOException {
        int maxChunks = Math.max(1, (maxSlots + slotsPerChunk - 1) / slotsPerChunk);
        int ringEntries = Integer.highestOneBit(Math.max(1, maxChunks * slotsPerChunk - 1)) << 1;
        if (ringEntries > 32768) {
            throw new IllegalArgumentException("a buffer ring holds at most 32768 slots: " + maxChunks * slotsPerChunk);
        }
        IOException registrationFailure = null;
        if (register) {
            try {
                ring.registerBufferTable(maxChunks);
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
        if (registrationWanted && registrationFailure == null) {
            try {
                ring.updateBuffer(chunk, address, chunkSize);
                chunkRegistered[chunk] = true;
            } catch (IOException e) {
                registrationFailure = e; // later chunks stay unregistered too: the limit will not have moved
            }
        }
        int firstSlot = chunk * slotsPerChunk;
        for (int slot = firstSlot + slotsPerChunk - 1; slot >= firstSlot; slot--) {
            waiting[waitingCount++] = slot; // the lowest slot on top
        }
        publish();
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
        offered--;
    }

    /** Frees {@code slot}; it goes back to the kernel, warm ones first, at the next {@link #publish()}. */
    public void recycle(int slot) {
        slotsInUse--;
        waiting[waitingCount++] = slot;
    }

    /**
     * Tops the buffer ring up to the offer target from the free slots, most recently recycled first, and makes them
     * visible to the kernel; call once per batch of completions rather than per slot.
     */
    public void publish() {
        if (offerFellShort) {
            offerFellShort = false;
            offerTarget = Math.min(waiting.length, offerTarget * 2);
        }
        while (offered < offerTarget && waitingCount > 0) {
            int slot = waiting[--waitingCount];
            bufferRing.add(slotAddress(slot), slotSize, (short) slot);
            offered++;
        }
        bufferRing.publish();
    }

    /** Whether some slot is free: in the buffer ring, or waiting for the next {@link #publish()}. */
    public boolean hasFreeSlots() {
        return offered > 0 || waitingCount > 0;
    }

    /**
     * A receive found the buffer ring empty (ENOBUFS) although {@link #hasFreeSlots() slots were free}: the batch
     * of receives was larger than the slots offered. The next {@link #publish()} offers twice as many (once however
     * many receives of the batch ran dry).
     */
    public void offerFellShort() {
        offerFellShort = true;
    }

    /** How many free slots the buffer ring holds for the kernel to pick from. */
    public int offered() {
        return offered;
    }

    /** Unregisters the buffer ring and unmaps the memory. Slots still referenced must not be touched after this. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        bufferRing.close();
        for (int chunk = 0; chunk < chunks; chunk++) {
            LibC.munmap(chunkAddresses[chunk], chunkSize);
        }
    }
}
