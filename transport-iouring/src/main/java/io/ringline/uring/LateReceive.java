package io.ringline.uring;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.util.ReferenceCountUtil;
import io.ringline.uring.linux.Errno;

import java.util.ArrayDeque;

import static io.ringline.uring.linux.IoUringConstants.IORING_CQE_BUFFER_SHIFT;
import static io.ringline.uring.linux.IoUringConstants.IORING_CQE_F_BUFFER;
import static io.ringline.uring.linux.IoUringConstants.IORING_CQE_F_MORE;

/**
 * The receive a connection had in flight when it left its ring (deregistration, to move to another event loop):
 * the old ring's cancellation races with data, and a completion that carries data can still come after the ring
 * forgot the channel (without DEFER_TASKRUN the kernel posts completions whenever the loop's thread returns from a
 * syscall). This handle takes the old registration's id until the receive's last completion (no IORING_CQE_F_MORE),
 * keeps what arrives, in order, and then hands it to the channel's new loop, which delivers it before it receives
 * again. Until then the allocator-path receive buffer stays here: the kernel may still write into it.
 *
 * <p>The old loop's thread fills it; the channel's new loop takes from it once it is finished. The lock guards that
 * hand-over only.
 */
final class LateReceive implements UringIoHandle {
    /** No completion ended the receive with an event the channel must see (data only, or cancelled). */
    static final int NO_END = 1;

    private final UringSocketChannel channel;
    private final UringIoHandler oldHandler;
    private final int id;
    /** The allocator path's receive buffer, owned by the kernel until the receive's last completion. */
    private ByteBuf recvBuffer;
    private final ArrayDeque<ByteBuf> received = new ArrayDeque<>();
    /** 0 for end of stream, a negative errno for a failed receive, else {@link #NO_END}. */
    private int end = NO_END;
    private boolean finished;
    private boolean discarded;
    private EventLoop resumeOn;

    LateReceive(UringSocketChannel channel, UringIoHandler oldHandler, int id, ByteBuf recvBuffer) {
        this.channel = channel;
        this.oldHandler = oldHandler;
        this.id = id;
        this.recvBuffer = recvBuffer;
    }

    @Override
    public int fd() {
        return -1; // its operation was cancelled with the registration it replaces
    }

    /** Runs on the old loop, for every completion that still carries the old registration's id. */
    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        UringIoEvent completion = (UringIoEvent) event;
        if (completion.op() != AbstractUringChannel.OP_RECV) {
            return; // the RDHUP poll's or a send's last word: the new loop re-arms the one, the channel fails on the other
        }
        int res = completion.res();
        int flags = completion.flags();
        if ((flags & IORING_CQE_F_BUFFER) != 0) {
            int slot = flags >>> IORING_CQE_BUFFER_SHIFT;
            if (res > 0) {
                // A copy: the slot belongs to this loop's pool, which only this loop's thread may recycle.
                ByteBuf buffer = oldHandler.takeSlot(slot, res);
                keep(channel.alloc().directBuffer(res).writeBytes(buffer));
                buffer.release();
            } else {
                oldHandler.bufferPool().taken(slot);
                oldHandler.bufferPool().recycle(slot);
            }
        } else if (res > 0 && recvBuffer != null) {
            keep(recvBuffer.writerIndex(recvBuffer.writerIndex() + res));
            recvBuffer = null;
        }
        if ((flags & IORING_CQE_F_MORE) == 0) {
            finish(res > 0 || res == -Errno.ECANCELED || res == -Errno.ENOBUFS ? NO_END : res);
        }
    }

    private void keep(ByteBuf data) {
        synchronized (this) {
            if (!discarded) {
                received.add(data);
                return;
            }
        }
        data.release();
    }

    /** The old loop ends without a last completion: what came is all there will be. */
    @Override
    public void close() {
        finish(NO_END);
    }

    private void finish(int how) {
        oldHandler.forgetLateCompletions(id, this);
        ReferenceCountUtil.release(recvBuffer); // the kernel is done with it
        recvBuffer = null;
        EventLoop loop;
        synchronized (this) {
            if (finished) {
                return;
            }
            finished = true;
            end = how;
            loop = resumeOn;
        }
        if (loop != null) {
            loop.execute(() -> channel.lateReceiveFinished(this));
        }
    }

    /**
     * The channel registered with {@code loop}: once the old receive has finished (now, or when it does), the channel
     * takes what it received there on that loop.
     */
    void resumeOn(EventLoop loop) {
        synchronized (this) {
            resumeOn = loop;
            if (!finished) {
                return;
            }
        }
        loop.execute(() -> channel.lateReceiveFinished(this));
    }

    /** What arrived, in order; empty after the first call. Only once {@link #isFinished()}. */
    synchronized ArrayDeque<ByteBuf> takeReceived() {
        ArrayDeque<ByteBuf> taken = new ArrayDeque<>(received);
        received.clear();
        return taken;
    }

    synchronized boolean isFinished() {
        return finished;
    }

    /** How the receive ended: 0 end of stream, a negative errno, or {@link #NO_END}. */
    synchronized int end() {
        return end;
    }

    /** The channel closed: nobody will take the data (what comes later is released as it comes). */
    void discard() {
        ArrayDeque<ByteBuf> dropped;
        synchronized (this) {
            discarded = true;
            dropped = new ArrayDeque<>(received);
            received.clear();
        }
        dropped.forEach(ByteBuf::release);
    }
}
