package io.ringline.bench;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ProcStatsTest {

    @Test
    void cpuTicksAreUtimePlusStimeEvenWhenTheCommandNameHasSpacesAndParentheses() {
        // Fields after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
        String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 30 0 99 0\n";

        assertThat(ProcStats.parseCpuTicks(stat)).isEqualTo(1234 + 567);
    }

    @Test
    void readsThisJvmsOwnCpuTimeAndMemory() {
        long pid = ProcessHandle.current().pid();

        assertThat(ProcStats.cpuTicks(pid)).isPositive();
        assertThat(ProcStats.statusBytes(pid, "VmHWM")).isGreaterThan(1024 * 1024);
        assertThat(ProcStats.openFilesSoftLimit("self")).isPositive();
        assertThat(ProcStats.clockTicksPerSecond()).isPositive();
        assertThat(ProcStats.ticksToMicros(ProcStats.clockTicksPerSecond())).isEqualTo(1e6);
    }

    @Test
    void recognisesHotSpotsCompilerThreadsByTheirTruncatedNames() {
        assertThat(ProcStats.isCompilerThread("77 (C2 CompilerThre) S 1 2 3 0 -1 0 0 0 0 0 50 7 0 0\n")).isTrue();
        assertThat(ProcStats.isCompilerThread("78 (C1 CompilerThre) S 1 2 3 0 -1 0 0 0 0 0 5 1 0 0\n")).isTrue();
        assertThat(ProcStats.isCompilerThread("79 (multiThreadIoEv) R 1 2 3 0 -1 0 0 0 0 0 900 80 0 0\n")).isFalse();
        assertThat(ProcStats.isCompilerThread("80 (GC Thread#0) S 1 2 3 0 -1 0 0 0 0 0 9 1 0 0\n")).isFalse();
    }

    @Test
    void compilerTicksSinceCountNewThreadsFromZeroAndCannotCountThreadsThatEnded() {
        Map<Long, Long> before = Map.of(10L, 100L, 11L, 40L);
        Map<Long, Long> after = Map.of(10L, 130L, 12L, 5L); // 11 ended, 12 started

        assertThat(ProcStats.ticksSince(before, after)).isEqualTo(30 + 5);
    }

    @Test
    void findsThisJvmsOwnCompilerThreads() {
        Map<Long, Long> ticks = ProcStats.compilerThreadTicks(ProcessHandle.current().pid());

        assertThat(ticks).isNotEmpty(); // HotSpot keeps at least one C1 and one C2 thread
        assertThat(ticks.values()).allSatisfy(value -> assertThat(value).isNotNegative());
    }

    @Test
    void parsesStatusSizesInKib() {
        String status = "Name:\tjava\nVmPeak:\t 6000000 kB\nVmHWM:\t   98765 kB\nVmRSS:\t   91234 kB\n";

        assertThat(ProcStats.parseStatusKib(status, "VmHWM")).isEqualTo(98765);
        assertThat(ProcStats.parseStatusKib(status, "VmRSS")).isEqualTo(91234);
    }

    @Test
    void parsesTheSoftOpenFilesLimit() {
        String limits = """
                Limit                     Soft Limit           Hard Limit           Units
                Max cpu time              unlimited            unlimited            seconds
                Max open files            20000                65536                files
                """;

        assertThat(ProcStats.parseOpenFilesSoftLimit(limits)).isEqualTo(20000);
    }
}
