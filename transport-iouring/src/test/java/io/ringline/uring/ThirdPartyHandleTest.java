package io.ringline.uring;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.socket.SocketChannel;
import io.ringline.uring.linux.IoUringConstants;
import io.ringline.uring.linux.LibC;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.seconds;
import static io.ringline.uring.TransportTestSupport.shutdown;
import static io.ringline.uring.TransportTestSupport.uringGroup;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An {@link io.netty.channel.IoHandle} of someone else's (the public {@link UringIoHandle} / {@link UringIoOps} API)
 * on a Ringline loop: it submits raw operations and gets their completions as {@link UringIoEvent}s; their results
 * are its own, whatever op kind it tags them with.
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
    private static class RecordingHandle implements UringIoHandle {
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

    @Test
    void aHandleReadsAPipeThroughTheRing() throws Exception {
        int[] pipe = pipe();
        MemorySegment into = arena.allocate(64);
        IoEventLoop loop = (IoEventLoop) group.next();
        RecordingHandle handle = new RecordingHandle(pipe[0]);
        IoRegistration registration = loop.register(handle).get(5, TimeUnit.SECONDS);
        loop.submit(() -> registration.submit(readOps(pipe[0], into, 7, 42))).get(5, TimeUnit.SECONDS);

        assertThat(LibC.write(pipe[1], arena.allocateFrom("hello", StandardCharsets.US_ASCII), 5)).isEqualTo(5);

        assertThat(handle.events.poll(5, TimeUnit.SECONDS)).hasToString("UringIoEvent(op 7, data 42, res 5, flags 0x0)");
        assertThat(into.getString(0, StandardCharsets.US_ASCII)).isEqualTo("hello");
        loop.submit(registration::cancel).get(5, TimeUnit.SECONDS);
        LibC.close(pipe[0]);
        LibC.close(pipe[1]);
    }

    /**
     * A handle that throws from {@code handle} must not hold up the channels whose reads completed in the same batch
     * before it: their channelReadComplete runs once the batch is over, and used to wait for the next completion.
     */
    @Test
    void aHandleThatThrowsDoesNotHoldUpReadCompleteOfTheSameBatch() throws Exception {
        int[] pipe = pipe();
        // Single-shot receives: their completions are posted in arrival order with the pipe read's, which this test
        // needs (6.18 posts a multishot receive's after).
        EventLoopGroup oneLoop = uringGroup(1, new UringIoHandlerConfig().setMultishotRecv(false));
        CountDownLatch readComplete = new CountDownLatch(2); // one for the warm-up exchange, one for the batch
        Channel server = new ServerBootstrap().group(oneLoop).channel(UringServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext context, Object message) {
                                ((ByteBuf) message).release();
                            }

                            @Override
                            public void channelReadComplete(ChannelHandlerContext context) {
                                readComplete.countDown();
                            }
                        });
                    }
                }).bind(TransportTestSupport.loopback(0)).sync().channel();
        RecordingHandle thrower = new RecordingHandle(pipe[0]) {
            @Override
            public void handle(IoRegistration registration, IoEvent event) {
                throw new IllegalStateException("a third-party handle failing on purpose");
            }
        };
        IoEventLoop loop = (IoEventLoop) oneLoop.next();
        IoRegistration registration = loop.register(thrower).get(5, TimeUnit.SECONDS);
        try (Socket client = new Socket()) {
            client.connect((InetSocketAddress) server.localAddress(), 5_000);
            OutputStream out = client.getOutputStream();
            out.write(1);
            TransportTestSupport.await(() -> readComplete.getCount() == 1, seconds(5), "the warm-up read");
            // The pipe read goes to the kernel (and waits there) when the loop next enters it, before it sleeps.
            MemorySegment into = arena.allocate(16);
            loop.submit(() -> registration.submit(readOps(pipe[0], into, 7, 0))).get(5, TimeUnit.SECONDS);
            loop.submit(() -> { }).get(5, TimeUnit.SECONDS);

            // Hold the loop while the client's byte and then the pipe's arrive, so both complete in one batch, the
            // channel's receive first.
            CountDownLatch holding = new CountDownLatch(1);
            loop.execute(() -> {
                holding.countDown();
                sleep(300);
            });
            assertThat(holding.await(5, TimeUnit.SECONDS)).isTrue();
            out.write(2);
            sleep(50);
            assertThat(LibC.write(pipe[1], arena.allocate(1), 1)).isEqualTo(1);

            assertThat(readComplete.await(5, TimeUnit.SECONDS)).as("channelReadComplete after the read").isTrue();
        } finally {
            server.close().sync();
            shutdown(oneLoop);
            LibC.close(pipe[0]);
            LibC.close(pipe[1]);
        }
    }

    private static UringIoOps readOps(int fd, MemorySegment into, int op, int data) {
        return new UringIoOps(IoUringConstants.IORING_OP_READ, (byte) 0, (short) 0, fd, -1, into.address(),
                (int) into.byteSize(), 0, (short) 0, op, data);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
        // Not a speed check: an idle loop wakes once a second (Netty's purge interval), ~900 ms after this submit;
        // an operation that waits for that pass was never handed to the loop. Woken, it completes in a millisecond.
        assertThat(millis).as("ms until a NOP submitted from another thread completed").isLessThan(500);

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
