package io.ringline.uring;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.ringline.uring.linux.LibC;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A loop that shuts down must not reach, through its closed ring's fd number, a ring another loop opened meanwhile
 * under that number: here, unregistering its buffer ring (group 0) after closing the ring would remove the other
 * loop's. The test puts the other loop's start exactly in that window: a late-completions handle, which destroy()
 * closes between closing the ring and closing the pool, starts it.
 */
class RingFdReuseAtShutdownTest {

    @Test
    void aLoopStartedWhileAnotherShutsDownKeepsItsBufferRing() throws Exception {
        EventLoopGroup first = new MultiThreadIoEventLoopGroup(1, UringIoHandler.newFactory());
        UringIoHandler firstHandler = first.next().submit(() -> UringIoHandler.HANDLERS.get(first.next()))
                .get(5, TimeUnit.SECONDS);
        int firstRingFd = firstHandler.ring().fd();
        AtomicReference<EchoServerFixture> second = new AtomicReference<>();
        AtomicInteger secondRingFd = new AtomicInteger(-1);
        UringIoHandle startAnotherLoop = new UringIoHandle() {
            @Override
            public int fd() {
                return -1;
            }

            @Override
            public void handle(IoRegistration registration, IoEvent ioEvent) {
            }

            @Override
            public void close() {
                // Runs inside destroy(), after ring.close(): the first ring's fd number is free. Fill lower holes so
                // the next fd the process opens gets exactly that number, as it would by chance.
                List<Integer> fillers = new ArrayList<>();
                int fd;
                while ((fd = LibC.eventfd(0, LibC.EFD_CLOEXEC)) < firstRingFd) {
                    fillers.add(fd);
                }
                LibC.close(fd);
                try {
                    // Without SINGLE_ISSUER (DEFER_TASKRUN off, or a kernel before 6.0) the kernel takes registrations
                    // on a ring from any thread.
                    second.set(EchoServerFixture.ringline(new UringIoHandlerConfig().setDeferTaskrun(false), 1,
                            EchoServerFixture.EchoHandler.INSTANCE)); // its loop starts, registers buffer group 0
                    UringIoHandler handler = second.get().group.next()
                            .submit(() -> UringIoHandler.HANDLERS.get(second.get().group.next())).get();
                    secondRingFd.set(handler.ring().fd());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                } finally {
                    fillers.forEach(LibC::close);
                }
            }
        };
        first.next().submit(() -> firstHandler.keepForLateCompletions(424242, startAnotherLoop)).get(5, TimeUnit.SECONDS);
        first.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();

        try (EchoServerFixture server = second.get();
             Socket socket = new Socket(server.address().getAddress(), server.address().getPort())) {
            assertThat(secondRingFd.get()).as("the second loop's ring got the first ring's fd number")
                    .isEqualTo(firstRingFd);
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            byte[] message = "hello".getBytes();
            out.write(message);
            byte[] echoed;
            try {
                echoed = in.readNBytes(message.length);
            } catch (SocketTimeoutException e) {
                echoed = new byte[0];
            }
            assertThat(echoed).as("the echo from the loop started while the first shut down (%s)", server.metrics())
                    .isEqualTo(message);
        }
    }
}
