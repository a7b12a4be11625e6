package io.ringline.uring;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import io.netty.util.ResourceLeakTracker;

import java.lang.foreign.MemorySegment;

/**
 * A received buffer that is a slot of a loop's {@link io.ringline.uring.ring.BufferPool}, wrapped in place: no copy.
 * Releasing it gives the slot back to the kernel. One instance per slot, reused for each receive into that slot;
 * while the user holds it the pool keeps no reference, so Netty's leak detector reports one that is dropped
 * unreleased. Its capacity is the slot's and cannot change (its maxCapacity says so; ByteBuf users that need more,
 * like {@code ByteToMessageDecoder}'s cumulator, allocate a new buffer), but its copies grow as any buffer does.
 */
final class PoolSlotByteBuf extends UnpooledDirectByteBuf {
    private static final ResourceLeakDetector<PoolSlotByteBuf> LEAK_DETECTOR =
            ResourceLeakDetectorFactory.instance().newResourceLeakDetector(PoolSlotByteBuf.class);

    private final SlotOwner owner;
    private final int slot;
    private final long address;
    private ResourceLeakTracker<PoolSlotByteBuf> leak;
    /** The receiving channel's allocator: what alloc() answers, as for NIO's buffers, read into from it. */
    private ByteBufAllocator allocator = ByteBufAllocator.DEFAULT;

    /** Where a released slot goes. */
    interface SlotOwner {
        void slotReleased(PoolSlotByteBuf buffer);
    }

    PoolSlotByteBuf(SlotOwner owner, int slot, long address, int size) {
        super(ByteBufAllocator.DEFAULT, MemorySegment.ofAddress(address).reinterpret(size).asByteBuffer(), size);
        this.owner = owner;
        this.slot = slot;
        this.address = address;
    }

    /**
     * Readies the buffer for a receive of {@code length} bytes by a channel allocating from {@code allocator}:
     * reference count 1, readable from 0.
     */
    PoolSlotByteBuf reuse(int length, ByteBufAllocator allocator) {
        this.allocator = allocator;
        resetRefCnt();
        setIndex(0, length);
        markReaderIndex(); // a reused buffer must not keep the previous user's marks
        markWriterIndex();
        leak = LEAK_DETECTOR.track(this);
        return this;
    }

    int slot() {
        return slot;
    }

    SlotOwner owner() {
        return owner;
    }

    /** The native address of the byte at {@code index}, for a send: refused once released, as NIO's sends refuse. */
    long address(int index) {
        ensureAccessible(); // a released slot may be the kernel's again, or already hold another receive
        return address + index;
    }

    @Override
    public ByteBufAllocator alloc() {
        return allocator;
    }

    @Override
    protected void deallocate() {
        // Not super.deallocate(): the memory is the pool's and this instance serves the slot's next receive.
        ResourceLeakTracker<PoolSlotByteBuf> tracker = leak;
        if (tracker != null) {
            leak = null;
            tracker.close(this);
        }
        owner.slotReleased(this);
    }

    @Override
    public ByteBuf capacity(int newCapacity) {
        if (newCapacity != capacity()) {
            throw new UnsupportedOperationException("a pooled io buffer keeps its slot's capacity of " + capacity()
                    + " bytes; copy it to grow or shrink");
        }
        return this;
    }

    // Copies are ordinary buffers that grow as written to (the inherited ones would keep the slot's maxCapacity).
    @Override
    public ByteBuf copy(int index, int length) {
        checkIndex(index, length);
        return alloc().directBuffer(length).writeBytes(this, index, length);
    }

    @Override
    public ByteBuf readBytes(int length) {
        checkReadableBytes(length);
        ByteBuf copy = alloc().buffer(length).writeBytes(this, readerIndex(), length);
        skipBytes(length);
        return copy;
    }

    @Override
    public String toString() {
        return "PoolSlotByteBuf(slot " + slot + ", ridx " + readerIndex() + ", widx " + writerIndex() + ", cap "
                + capacity() + ")";
    }
}
