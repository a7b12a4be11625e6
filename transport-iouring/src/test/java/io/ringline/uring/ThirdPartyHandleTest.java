package io.ringline.uring;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.ringline.uring.linux.IoUringConstants;
import io.ringline.uring.linux.LibC;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.shutdown;
import static io.ringline.uring.TransportTestSupport.uringGroup;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An {@link io.netty.channel.IoHandle} of someone else's (the public {@link UringIoHandle} / {@link UringIoOps} API)
 * on a Ringline loop: its operations' results are its own, whatever op kind it tags them with.
 */
class ThirdPartyHandleTest {
    private final EventLoopGroup group = uringGroup(1);
    private final Arena arena = Arena.ofShared();

    @AfterEach
    void tearDown() {
        shutdown(group);
        arena.close();
    }

    /** A handle on one fd that records the completions it gets. */
    private static final class RecordingHandle implements UringIoHandle {
        final int fd;
        final BlockingQueue<UringIoEvent> events = new LinkedBlockingQueue<>();

        RecordingHandle(int fd) {
            this.fd = fd;
        }

        @Override
        public int fd() {
            return fd;
        }

        @Override
        public void handle(IoRegistration registration, IoEvent event) {
            UringIoEvent e = (UringIoEvent) event;
            events.add(new UringIoEvent().set(e.op(), e.data(), e.res(), e.flags()));
        }

        @Override
        public void close() {
        }
    }

    private int[] pipe() {
        MemorySegment fds = arena.allocate(ValueLayout.JAVA_INT, 2);
        assertThat(LibC.pipe2(fds, LibC.O_CLOEXEC)).isZero();
        return new int[] {fds.getAtIndex(ValueLayout.JAVA_INT, 0), fds.getAtIndex(ValueLayout.JAVA_INT, 1)};
    }

    /**
     * A read that completed just before its handle's registration was cancelled reports a byte count. The loop took
     * any late completion tagged with op 10 (Ringline's accept) for an accepted connection nobody will serve and
     * closed its "fd", the byte count: here the victim file, whose number the read returned.
     */
    @Test
    void aLateCompletionOfAForeignHandleDoesNotCloseAnFdNamedByItsResult() throws Exception {
        int[] pipe = pipe();
        int[] victim = pipe(); // a file of the application's, unrelated to the handle
        int count = victim[1]; // the read returns as many bytes as the victim's fd number
        MemorySegment data = arena.allocate(count);
        assertThat(LibC.write(pipe[1], data, count)).isEqualTo(count);
        MemorySegment into = arena.allocate(count);
        IoEventLoop loop = (IoEventLoop) group.next();
        RecordingHandle handle = new RecordingHandle(pipe[0]);
        IoRegistration registration = loop.register(handle).get(5, TimeUnit.SECONDS);
        loop.submit(() -> {
            registration.submit(new UringIoOps(IoUringConstants.IORING_OP_READ, (byte) 0, (short) 0, pipe[0], -1,
                    into.address(), count, 0, (short) 0, AbstractUringChannel.OP_ACCEPT, 0));
            registration.cancel(); // submits the read too: it completes at once, after the registration is gone
            return null;
        }).get(5, TimeUnit.SECONDS);
        loop.submit(() -> { }).get(5, TimeUnit.SECONDS); // a pass that reaps the late completion
        Thread.sleep(100);
        MemorySegment one = arena.allocate(1);
        assertThat(LibC.write(victim[1], one, 1)).as("write to the victim's fd %d", victim[1]).isEqualTo(1);
        for (int fd : new int[] {pipe[0], pipe[1], victim[0], victim[1]}) {
            LibC.close(fd);
        }
    }
}
