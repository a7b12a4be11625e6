package io.ringline.uring;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

import static io.ringline.uring.TransportTestSupport.shutdown;
import static io.ringline.uring.TransportTestSupport.uringGroup;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Uring.metrics(group) called on the group's own loops, as a handler serving a metrics request does. Each loop used to
 * wait for the others to read their counters: two loops asking at once waited 10 s for each other (no I/O on either
 * meanwhile), then one of them threw IllegalStateException.
 */
class MetricsFromEventLoopsTest {

    @Test
    void twoLoopsAskingAtOnceBothGetTheSumPromptly() throws Exception {
        EventLoopGroup group = uringGroup(2);
        try {
            CyclicBarrier together = new CyclicBarrier(2);
            List<Future<UringMetrics>> answers = new ArrayList<>();
            long start = System.nanoTime();
            for (EventExecutor loop : group) {
                answers.add(loop.submit(() -> {
                    together.await(5, TimeUnit.SECONDS);
                    return Uring.metrics(group);
                }));
            }
            for (Future<UringMetrics> answer : answers) {
                assertThat(answer.await(30, TimeUnit.SECONDS)).isTrue();
                assertThat(answer.cause()).as("what Uring.metrics threw").isNull();
                assertThat(answer.getNow().poolSlots()).as("both loops' pools").isEqualTo(2 * 256);
            }
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("ms both took").isLessThan(2000);
        } finally {
            shutdown(group);
        }
    }
}
