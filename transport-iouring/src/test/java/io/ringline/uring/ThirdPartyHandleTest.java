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
        final BlockingQueue<Thread> unregisteredOn = new LinkedBlockingQueue<>();

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
        public void unregistered() {
            unregisteredOn.add(Thread.currentThread());
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

    /**
     * Netty's registrations take submit() and cancel() from any thread (its io_uring and epoll handlers run them on
     * the loop, NIO's cancel is thread-safe). Ringline's prepared the SQE on the calling thread, in the loop's
     * submission queue, and did not wake the loop, which submitted it at its next pass, up to a second later; cancel()
     * entered the ring from the calling thread (refused: the loop's thread is its single issuer), changed the loop's
     * registration map there, and called unregistered() there.
     */
    @Test
    void submitAndCancelFromAnotherThreadRunOnTheLoop() throws Exception {
        int[] pipe = pipe();
        IoEventLoop loop = (IoEventLoop) group.next();
        Thread loopThread = loop.submit(Thread::currentThread).get(5, TimeUnit.SECONDS);
        RecordingHandle handle = new RecordingHandle(pipe[0]);
        IoRegistration registration = loop.register(handle).get(5, TimeUnit.SECONDS);
        Thread.sleep(100); // the loop sleeps

        long start = System.nanoTime();
        registration.submit(new UringIoOps(IoUringConstants.IORING_OP_NOP, (byte) 0, (short) 0, -1, 0, 0, 0, 0,
                (short) 0, 20, 7));
        UringIoEvent nop = handle.events.poll(5, TimeUnit.SECONDS);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(nop).isNotNull();
        assertThat(nop.op()).isEqualTo(20);
        assertThat(nop.data()).isEqualTo(7);
        assertThat(millis).as("ms until a NOP submitted from another thread completed").isLessThan(300);

        MemorySegment into = arena.allocate(16);
        loop.submit(() -> registration.submit(new UringIoOps(IoUringConstants.IORING_OP_READ, (byte) 0, (short) 0,
                pipe[0], -1, into.address(), 16, 0, (short) 0, 21, 0))).get(5, TimeUnit.SECONDS);
        Thread.sleep(100); // the read waits for data
        registration.cancel();
        assertThat(handle.unregisteredOn.poll(5, TimeUnit.SECONDS)).as("unregistered() ran on").isSameAs(loopThread);
        assertThat(registration.isValid()).isFalse();
        loop.submit(() -> { }).get(5, TimeUnit.SECONDS);
        // The read was cancelled: what is written now stays in the pipe.
        MemorySegment data = arena.allocate(4);
        assertThat(LibC.write(pipe[1], data, 4)).isEqualTo(4);
        Thread.sleep(100);
        assertThat(handle.events).as("completions after the cancel").isEmpty();
        assertThat(LibC.read(pipe[0], arena.allocate(4), 4)).as("bytes left in the pipe").isEqualTo(4);
        LibC.close(pipe[0]);
        LibC.close(pipe[1]);
    }
}
