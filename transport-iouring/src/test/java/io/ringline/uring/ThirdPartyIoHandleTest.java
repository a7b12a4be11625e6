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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.ringline.uring.TransportTestSupport.seconds;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A third-party {@code IoHandle} (neither of Ringline's channels) registered with a Ringline loop submits raw
 * {@link UringIoOps} and gets its completions as {@link UringIoEvent}s. Here it reads a pipe with IORING_OP_READ.
 */
class ThirdPartyIoHandleTest {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer = arena.allocate(64);
    private int readEnd = -1;
    private int writeEnd = -1;
    private EventLoopGroup group;

    @BeforeEach
    void openPipe() {
        MemorySegment fds = arena.allocate(ValueLayout.JAVA_INT, 2);
        assertThat(LibC.pipe2(fds, LibC.O_CLOEXEC)).isZero();
        readEnd = fds.getAtIndex(ValueLayout.JAVA_INT, 0);
        writeEnd = fds.getAtIndex(ValueLayout.JAVA_INT, 1);
        // Single-shot receives: their completions are posted in arrival order with the pipe read's, which the test
        // about batches needs (6.18 posts a multishot receive's after).
        group = TransportTestSupport.uringGroup(1, new UringIoHandlerConfig().setMultishotRecv(false));
    }

    @AfterEach
    void close() {
        TransportTestSupport.shutdown(group);
        LibC.close(readEnd);
        LibC.close(writeEnd);
        arena.close();
    }

    @Test
    void aHandleReadsAPipeThroughTheRing() throws Exception {
        CompletableFuture<String> event = new CompletableFuture<>();
        PipeReader reader = new PipeReader(readEnd) {
            @Override
            void completed(UringIoEvent completion) {
                event.complete(completion + " " + buffer.getString(0, StandardCharsets.US_ASCII));
            }
        };
        IoEventLoop loop = (IoEventLoop) group.next();
        IoRegistration registration = loop.register(reader).get(5, TimeUnit.SECONDS);
        loop.submit(() -> registration.submit(reader.readOps(buffer))).get(5, TimeUnit.SECONDS);

        writePipe("hello");

        assertThat(event.get(5, TimeUnit.SECONDS)).isEqualTo("UringIoEvent(op 7, data 42, res 5, flags 0x0) hello");
        loop.submit(registration::cancel).get(5, TimeUnit.SECONDS);
    }

    /**
     * A handle that throws from {@code handle} must not hold up the channels whose reads completed in the same batch
     * before it: their channelReadComplete runs once the batch is over, and used to wait for the next completion.
     */
    @Test
    void aHandleThatThrowsDoesNotHoldUpReadCompleteOfTheSameBatch() throws Exception {
        AtomicInteger reads = new AtomicInteger();
        CountDownLatch readComplete = new CountDownLatch(2); // one for the warm-up exchange, one for the batch
        Channel server = new ServerBootstrap().group(group).channel(UringServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext context, Object message) {
                                reads.incrementAndGet();
                                ((ByteBuf) message).release();
                            }

                            @Override
                            public void channelReadComplete(ChannelHandlerContext context) {
                                readComplete.countDown();
                            }
                        });
                    }
                }).bind(TransportTestSupport.loopback(0)).sync().channel();
        PipeReader thrower = new PipeReader(readEnd) {
            @Override
            void completed(UringIoEvent completion) {
                throw new IllegalStateException("a third-party handle failing on purpose");
            }
        };
        IoEventLoop loop = (IoEventLoop) group.next();
        IoRegistration registration = loop.register(thrower).get(5, TimeUnit.SECONDS);
        try (Socket client = new Socket()) {
            client.connect((InetSocketAddress) server.localAddress(), 5_000);
            OutputStream out = client.getOutputStream();
            out.write(1);
            TransportTestSupport.await(() -> readComplete.getCount() == 1, seconds(5), "the warm-up read");

            // The pipe read goes to the kernel (and waits there) when the loop next enters it, before it sleeps.
            loop.submit(() -> registration.submit(thrower.readOps(buffer))).get(5, TimeUnit.SECONDS);
            loop.submit(() -> { }).get(5, TimeUnit.SECONDS);
            // Hold the loop while the client's bytes and then the pipe's arrive, so both complete in one batch,
            // the channel's receive first.
            CountDownLatch holding = new CountDownLatch(1);
            loop.execute(() -> {
                holding.countDown();
                sleep(300);
            });
            assertThat(holding.await(5, TimeUnit.SECONDS)).isTrue();
            out.write(2);
            sleep(50);
            writePipe("x");

            assertThat(readComplete.await(5, TimeUnit.SECONDS))
                    .as("channelReadComplete after the read (reads so far: %d)", reads.get()).isTrue();
        } finally {
            server.close().sync();
        }
    }

    private void writePipe(String text) {
        MemorySegment bytes = arena.allocateFrom(text, StandardCharsets.US_ASCII);
        assertThat(LibC.write(writeEnd, bytes, text.length())).isEqualTo(text.length());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads the pipe into a buffer; what to do with the completion is the subclass's. */
    private abstract static class PipeReader implements UringIoHandle {
        private final int fd;

        PipeReader(int fd) {
            this.fd = fd;
        }

        UringIoOps readOps(MemorySegment into) {
            return new UringIoOps(IoUringConstants.IORING_OP_READ, (byte) 0, (short) 0, fd, -1, into.address(),
                    (int) into.byteSize(), 0, (short) 0, 7, 42);
        }

        abstract void completed(UringIoEvent completion);

        @Override
        public void handle(IoRegistration registration, IoEvent event) {
            completed((UringIoEvent) event);
        }

        @Override
        public int fd() {
            return fd;
        }

        @Override
        public void close() {
        }
    }
}
