package io.ringline.uring;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A loop thread that keeps getting signals (a profiler does this) still wakes for its timers: an interrupted wait
 * must not restart with the same relative timeout. NIO runs the same test as the yardstick.
 */
class SignalsDuringWaitTest {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle SYSCALL3 = LINKER.downcallHandle(LINKER.defaultLookup().find("syscall").orElseThrow(),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1));
    private static final long SYS_GETPID = 39;
    private static final long SYS_GETTID = 186;
    private static final long SYS_TGKILL = 234;
    private static final long SIGPIPE = 13; // the JVM handles it (and ignores it)

    private static long syscall(long number, long a, long b, long c) {
        try {
            return (long) SYSCALL3.invokeExact(number, a, b, c);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ringline", "nio"})
    void aTaskScheduled500msOutFiresOnTimeWhileTheLoopThreadGetsSignals(String transport) throws Exception {
        IoHandlerFactory factory = transport.equals("nio") ? NioIoHandler.newFactory() : UringIoHandler.newFactory();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, factory);
        AtomicBoolean signalling = new AtomicBoolean(true);
        Thread signaller = null;
        try {
            EventLoop loop = group.next();
            long pid = syscall(SYS_GETPID, 0, 0, 0);
            long tid = loop.submit(() -> syscall(SYS_GETTID, 0, 0, 0)).get(5, TimeUnit.SECONDS);
            signaller = Thread.ofPlatform().start(() -> {
                while (signalling.get()) {
                    syscall(SYS_TGKILL, pid, tid, SIGPIPE);
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            Thread.sleep(300); // the loop is idle and getting signals
            CountDownLatch fired = new CountDownLatch(1);
            AtomicLong firedAfterMillis = new AtomicLong(-1);
            long scheduledAt = System.nanoTime();
            loop.schedule(() -> {
                firedAfterMillis.set(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - scheduledAt));
                fired.countDown();
            }, 500, TimeUnit.MILLISECONDS);
            boolean onTime = fired.await(2, TimeUnit.SECONDS);
            signalling.set(false);
            fired.await(5, TimeUnit.SECONDS);
            assertThat(onTime).as("the 500 ms task fired within 2 s (it fired after %d ms, once the signals stopped)",
                    firedAfterMillis.get()).isTrue();
        } finally {
            signalling.set(false);
            if (signaller != null) {
                signaller.join();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
