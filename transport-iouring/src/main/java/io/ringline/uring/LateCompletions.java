package io.ringline.uring;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.util.ReferenceCountUtil;
import io.ringline.uring.linux.Errno;

import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;

import static io.ringline.uring.linux.IoUringConstants.IORING_CQE_F_MORE;

/**
 * The read (recv, accept) and the send a channel had in flight when it left its ring (deregistration, to move to
 * another event loop). The old ring cancels them, but that races with the kernel: a read can still bring data or a
 * connection after the ring forgot the channel (without DEFER_TASKRUN the kernel posts completions whenever the
 * loop's thread returns from a syscall), and a send reports how much of it went out. This handle takes the old
 * registration's id until both have completed for the last time (no IORING_CQE_F_MORE), keeps what the read brings
 * as messages for the pipeline, in order, and the send's result; then the channel's new loop applies the send's
 * result, delivers the messages and how the read ended, and only then reads and sends again.
 *
 * <p>The old loop's thread fills it; the channel's new loop takes from it once it is finished. The lock guards that
 * hand-over only.
 */
final class LateCompletions implements UringIoHandle {
    /** {@link #sendResult()} when the old loop ended before its ring said how much of the send went out. */
    static final int SEND_OUTCOME_UNKNOWN = Integer.MIN_VALUE;

    private final AbstractUringChannel channel;
    private final UringIoHandler oldHandler;
    private final int id;
    /** The allocator path's receive buffer: the kernel may write into it until the read's last completion. */
    private ByteBuf readBuffer;
    private final ArrayDeque<Object> messages = new ArrayDeque<>();
    private final boolean hadSend;
    private boolean awaitingRead;
    private boolean awaitingSend;
    /** The result of the read's last completion; -ECANCELED if there was no read or the old loop ended first. */
    private int readEnd = -Errno.ECANCELED;
    /** Bytes the send got out, or its negative errno; {@link #SEND_OUTCOME_UNKNOWN} if the old loop ended first. */
    private int sendResult = -Errno.ECANCELED;
    private boolean finished;
    private boolean discarded;
    private EventLoop resumeOn;

    LateCompletions(AbstractUringChannel channel, UringIoHandler oldHandler, int id, boolean reading,
                    boolean sending) {
        this.channel = channel;
        this.oldHandler = oldHandler;
        this.id = id;
        this.hadSend = sending;
        this.awaitingRead = reading;
        this.awaitingSend = sending;
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
        if (completion.op() == AbstractUringChannel.OP_SEND && awaitingSend) {
            synchronized (this) {
                sendResult = completion.res();
            }
            awaitingSend = false;
        } else if (completion.op() == channel.readOp() && awaitingRead) {
            readCompleted(completion.res(), completion.flags());
        } else {
            return; // the RDHUP poll's last word: the new loop arms its own
        }
        if (!awaitingRead && !awaitingSend) {
            finish();
        }
    }

    private void readCompleted(int res, int flags) {
        Object message = channel.lateReadMessage(this, res, flags);
        if (message != null) {
            synchronized (this) {
                if (!discarded) {
                    messages.add(message);
                    message = null;
                }
            }
            drop(message);
        }
        if ((flags & IORING_CQE_F_MORE) == 0) {
            synchronized (this) {
                readEnd = res;
            }
            awaitingRead = false;
        }
    }

    /** The old loop ends without last completions: what came is all there will be. */
    @Override
    public void close() {
        if (awaitingSend) {
            synchronized (this) {
                sendResult = SEND_OUTCOME_UNKNOWN; // its ring is gone, and with it the count of what went out
            }
            awaitingSend = false;
        }
        finish();
    }

    private void finish() {
        oldHandler.forgetLateCompletions(id, this);
        ReferenceCountUtil.release(takeReadBuffer()); // the kernel is done with it
        EventLoop loop;
        synchronized (this) {
            if (finished) {
                return;
            }
            finished = true;
            loop = resumeOn;
        }
        if (loop != null) {
            resume(loop);
        }
    }

    /**
     * The channel registered with {@code loop}: once the old operations have finished (now, or when they do), the
     * channel takes their results on that loop.
     */
    void resumeOn(EventLoop loop) {
        synchronized (this) {
            resumeOn = loop;
            if (!finished) {
                return;
            }
        }
        resume(loop);
    }

    private void resume(EventLoop loop) {
        try {
            loop.execute(() -> channel.lateCompletionsFinished(this));
        } catch (RejectedExecutionException e) {
            // The new loop has ended, and its shutdown closed the channel: nobody takes what came.
            discard();
        }
    }

    /** What arrived, in order; empty after the first call. Only once finished. */
    synchronized ArrayDeque<Object> takeMessages() {
        ArrayDeque<Object> taken = new ArrayDeque<>(messages);
        messages.clear();
        return taken;
    }

    /** The result of the read's last completion. Only once finished. */
    synchronized int readEnd() {
        return readEnd;
    }

    /** Whether a send was in flight (then {@link #sendResult()} is its result). */
    boolean hadSend() {
        return hadSend;
    }

    /** What the send got out (bytes, or a negative errno). Only once finished. */
    synchronized int sendResult() {
        return sendResult;
    }

    /** The channel closed: nobody will take what arrived (what comes later is dropped as it comes). */
    void discard() {
        synchronized (this) {
            discarded = true; // from here on readCompleted drops what comes instead of keeping it
        }
        takeMessages().forEach(LateCompletions::drop);
    }

    /** Gives back a message nobody will take: releases a buffer, closes an accepted connection. */
    static void drop(Object message) {
        if (message instanceof Channel accepted) {
            accepted.unsafe().closeForcibly();
        } else {
            ReferenceCountUtil.release(message);
        }
    }
}
