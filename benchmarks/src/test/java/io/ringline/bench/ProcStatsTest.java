package io.ringline.bench;

import org.junit.jupiter.api.Test;

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
