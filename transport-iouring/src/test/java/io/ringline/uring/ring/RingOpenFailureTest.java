package io.ringline.uring.ring;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ring.open: when the Ring constructor fails after mapping the rings (here IORING_REGISTER_PROBE, refused by a
 * seccomp filter on this thread only), open() closes the fd but leaves both mappings, and a mapping keeps the
 * io_uring instance alive: the ring's memory stays for the life of the process.
 */
/** A ring whose setup fails after mapping its queues leaves no mapping (each holds the ring's memory). */
class RingOpenFailureTest {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle PRCTL = LINKER.downcallHandle(LINKER.defaultLookup().find("prctl").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(1));

    @Test
    void aRingWhoseSetupFailsAfterMappingLeavesNoMapping() throws Exception {
        long before = ioUringMappings();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = Thread.ofPlatform().start(() -> {
            try {
                refuseRegisterProbeOnThisThread();
                try (Ring ring = Ring.open(RingOptions.of(8))) {
                    failure.set(new AssertionError("the probe was not refused: " + ring));
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        thread.join();
        assertThat(failure.get()).as("Ring.open failed").isInstanceOf(IOException.class)
                .hasMessageContaining("IORING_REGISTER_PROBE");
        assertThat(ioUringMappings()).as("io_uring mappings after the failed open").isEqualTo(before);
    }

    private static long ioUringMappings() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.contains("io_uring")).count();
    }

    /** A seccomp filter (this thread only): io_uring_register(fd, IORING_REGISTER_PROBE, ...) fails with EPERM. */
    private static void refuseRegisterProbeOnThisThread() throws Throwable {
        int[][] program = {
                {0x20, 0, 0, 0},                 // ld  [nr]
                {0x15, 0, 3, 427},               // jeq io_uring_register ? next : allow
                {0x20, 0, 0, 24},                // ld  [args[1] low 32 bits]
                {0x15, 0, 1, 8},                 // jeq IORING_REGISTER_PROBE ? next : allow
                {0x06, 0, 0, 0x00050000 | 1},    // ret SECCOMP_RET_ERRNO | EPERM
                {0x06, 0, 0, 0x7fff0000},        // ret SECCOMP_RET_ALLOW
        };
        Arena arena = Arena.ofAuto();
        MemorySegment filter = arena.allocate(8L * program.length, 8);
        for (int i = 0; i < program.length; i++) {
            filter.set(JAVA_SHORT, 8L * i, (short) program[i][0]);
            filter.set(JAVA_BYTE, 8L * i + 2, (byte) program[i][1]);
            filter.set(JAVA_BYTE, 8L * i + 3, (byte) program[i][2]);
            filter.set(JAVA_INT, 8L * i + 4, program[i][3]);
        }
        MemorySegment fprog = arena.allocate(16, 8);
        fprog.set(JAVA_SHORT, 0, (short) program.length);
        fprog.set(ADDRESS, 8, filter);
        assertThat((int) PRCTL.invokeExact(38, 1L, 0L, 0L, 0L)).as("PR_SET_NO_NEW_PRIVS").isZero();
        assertThat((int) PRCTL.invokeExact(22, 2L, fprog.address(), 0L, 0L)).as("PR_SET_SECCOMP").isZero();
    }
}
