package io.ringline.uring;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.ringline.uring.linux.Errno;
import io.ringline.uring.ring.SyscallFilter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.shutdown;
import static io.ringline.uring.TransportTestSupport.uringGroup;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A loop pass that fails (here every io_uring_enter(2) of the loop thread, refused by a seccomp filter) is logged and
 * counted, and the loop goes on running its tasks and shuts down cleanly, as NIO's does: Netty's loop itself would end
 * at the first exception and strand every channel on it.
 */
class LoopFailureTest {
    private final EventLoopGroup group = uringGroup(1);

    @AfterEach
    void shutdownGroup() {
        shutdown(group);
    }

    @Test
    void theLoopGoesOnAfterIoUringEnterFails() throws Exception {
        EventLoop loop = group.next();
        loop.submit(() -> SyscallFilter.refuse(SyscallFilter.IO_URING_ENTER, Errno.EFAULT)).sync();

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Uring.metrics(group).loopFailures() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10); // the idle loop goes to wait in io_uring_enter, which fails
        }
        assertThat(Uring.metrics(group).loopFailures()).as("failed passes").isPositive();

        for (int i = 0; i < 3; i++) {
            Thread.sleep(50); // idle again: the next pass fails too
            assertThat(loop.submit(() -> "ran").get(10, TimeUnit.SECONDS)).as("task %d after the failures", i)
                    .isEqualTo("ran");
        }
        assertThat(Uring.metrics(group).loopFailures()).as("failed passes").isGreaterThan(1);
    }
}
