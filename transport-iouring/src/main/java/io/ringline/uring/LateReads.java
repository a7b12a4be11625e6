package io.ringline.uring;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.util.ReferenceCountUtil;
import io.ringline.uring.linux.Errno;

import java.util.ArrayDeque;

import static io.ringline.uring.linux.IoUringConstants.IORING_CQE_F_MORE;

/**
 * The read operation (recv, accept) a channel had in flight when it left its ring (deregistration, to move to
 * another event loop). The old ring's cancellation races with arriving data and connections: a completion that
 * brings some can still come after the ring forgot the channel (without DEFER_TASKRUN the kernel posts completions
 * whenever the loop's thread returns from a syscall). This handle takes the old registration's id until the read's
 * last completion (no IORING_CQE_F_MORE), keeps what arrives as messages for the pipeline, in order, and then hands
 * them to the channel's new loop, which delivers them, and how the read ended, before it reads again.
 *
 * <p>The old loop's thread fills it; the channel's new loop takes from it once it is finished. The lock guards that
 * hand-over only.
 */
final class LateReads implements UringIoHandle {
    private final AbstractUringChannel channel;
    private final UringIoHandler oldHandler;
    private final int id;
    /** The allocator path's receive buffer: the kernel may write into it until the read's last completion. */
    private ByteBuf readBuffer;
    private final ArrayDeque<Object> messages = new ArrayDeque<>();
    /** The result of the read's last completion; -ECANCELED if the old loop ended first. */
    private int end;
    private boolean finished;
    private boolean discarded;
    private EventLoop resumeOn;

    LateReads(AbstractUringChannel channel, UringIoHandler oldHandler, int id) {
        this.channel = channel;
        this.oldHandler = oldHandler;
        this.id = id;
    }

    UringIoHandler oldHandler() {
        return oldHandler;
    }

    /** Holds {@code buffer}, which the read in flight receives into, until the read has finished. */
    void holdReadBuffer(ByteBuf buffer) {
        readBuffer = buffer;
    }

    /** The held read buffer, now the caller's (or null). */
    ByteBuf takeReadBuffer() {
        ByteBuf buffer = readBuffer;
        readBuffer = null;
        return buffer;
    }

    @Override
    public int fd() {
        return -1; // its operation was cancelled with the registration it replaces
    }

    /** Runs on the old loop, for every completion that still carries the old registration's id. */
    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        UringIoEvent completion = (UringIoEvent) event;
        if (completion.op() != channel.readOp()) {
            return; // the RDHUP poll's or a send's last word: the new loop re-arms the one, the channel fails on the other
        }
        Object message = channel.lateReadMessage(this, completion.res(), completion.flags());
        if (message != null) {
            synchronized (this) {
                if (!discarded) {
                    messages.add(message);
                    message = null;
                }
            }
            drop(message);
        }
        if ((completion.flags() & IORING_CQE_F_MORE) == 0) {
            finish(completion.res());
        }
    }

    /** The old loop ends without a last completion: what came is all there will be. */
    @Override
    public void close() {
        finish(-Errno.ECANCELED);
    }

    private void finish(int result) {
        oldHandler.forgetLateCompletions(id, this);
        ReferenceCountUtil.release(takeReadBuffer()); // the kernel is done with it
        EventLoop loop;
        synchronized (this) {
            if (finished) {
                return;
            }
            finished = true;
            end = result;
            loop = resumeOn;
        }
        if (loop != null) {
            loop.execute(() -> channel.lateReadsFinished(this));
        }
    }

    /**
     * The channel registered with {@code loop}: once the old read has finished (now, or when it does), the channel
     * takes what it brought on that loop.
     */
    void resumeOn(EventLoop loop) {
        synchronized (this) {
            resumeOn = loop;
            if (!finished) {
                return;
            }
        }
        loop.execute(() -> channel.lateReadsFinished(this));
    }

    /** What arrived, in order; empty after the first call. Only once finished. */
    synchronized ArrayDeque<Object> takeMessages() {
        ArrayDeque<Object> taken = new ArrayDeque<>(messages);
        messages.clear();
        return taken;
    }

    /** The result of the read's last completion. Only once finished. */
    synchronized int end() {
        return end;
    }

    /** The channel closed: nobody will take what arrived (what comes later is dropped as it comes). */
    void discard() {
        ArrayDeque<Object> dropped;
        synchronized (this) {
            discarded = true;
            dropped = new ArrayDeque<>(messages);
            messages.clear();
        }
        dropped.forEach(LateReads::drop);
    }

    private static void drop(Object message) {
        if (message instanceof Channel accepted) {
            accepted.unsafe().closeForcibly();
        } else {
            ReferenceCountUtil.release(message);
        }
    }
}
