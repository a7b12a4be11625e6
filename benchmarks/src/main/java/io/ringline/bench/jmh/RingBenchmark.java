package io.ringline.bench.jmh;

import io.ringline.uring.ring.BufferPool;
import io.ringline.uring.ring.CompletionHandler;
import io.ringline.uring.ring.Ring;
import io.ringline.uring.ring.RingOptions;
import io.ringline.uring.ring.SubmissionQueue;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The ring core's hot paths, without Netty: preparing and submitting SQEs, reaping CQEs, and taking and returning
 * buffer pool slots. Run: {@code java -cp benchmarks/target/benchmarks.jar org.openjdk.jmh.Main RingBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class RingBenchmark {
    private static final int BATCH = 32;

    private Ring ring;
    private SubmissionQueue queue;
    private BufferPool pool;
    private long sum;
    private final CompletionHandler sink = (userData, res, flags) -> sum += userData + res;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        ring = Ring.open(RingOptions.of(256));
        queue = ring.submissionQueue();
        pool = BufferPool.create(ring, (short) 1, 2048, 256, 256, true);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        ring.close();
    }

    /** One SQE prepared, submitted with 31 others in one io_uring_enter, reaped from the CQ: per operation. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long nopBatchRoundTrip() throws Exception {
        for (int i = 0; i < BATCH; i++) {
            queue.prepNop(i);
        }
        ring.submitAndWait(BATCH, -1);
        ring.completionQueue().drain(sink);
        return sum;
    }

    /** Taking a slot (as a receive completion does) and giving it back (as releasing its ByteBuf does). */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int slotTakeAndReturn() {
        for (int slot = 0; slot < BATCH; slot++) {
            pool.taken(slot);
        }
        for (int slot = 0; slot < BATCH; slot++) {
            pool.recycle(slot);
        }
        pool.publish();
        return pool.slotsInUse();
    }
}
