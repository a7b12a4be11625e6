package io.ringline.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What Linux's /proc tells about a process: CPU time, memory high-water marks, open-file limits. */
final class ProcStats {
    /** /proc/PID/stat fields (1-based, as in proc(5)) counted after the ")" ending the command name. */
    private static final int STATE_FIELD = 3;
    private static final int UTIME_FIELD = 14;
    private static final int STIME_FIELD = 15;

    private static volatile long clockTicksPerSecond;

    private ProcStats() {
    }

    /** User plus system CPU time of every thread of {@code pid}, in clock ticks. */
    static long cpuTicks(long pid) {
        return parseCpuTicks(read(Path.of("/proc", Long.toString(pid), "stat")));
    }

    /**
     * CPU time of each of HotSpot's JIT compiler threads of {@code pid}, in clock ticks by thread id. The kernel keeps
     * 15 characters of a thread's name (TASK_COMM_LEN, proc(5)): "C2 CompilerThread0" reads "C2 CompilerThre".
     * HotSpot starts and stops compiler threads as the queue of work grows and shrinks, so compare two snapshots with
     * {@link #ticksSince}, thread by thread.
     */
    static Map<Long, Long> compilerThreadTicks(long pid) {
        Map<Long, Long> ticks = new HashMap<>();
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        try (DirectoryStream<Path> threads = Files.newDirectoryStream(tasks)) {
            for (Path thread : threads) {
                String stat;
                try {
                    stat = Files.readString(thread.resolve("stat"));
                } catch (NoSuchFileException e) {
                    continue; // the thread ended since the listing
                }
                if (isCompilerThread(stat)) {
                    ticks.put(Long.parseLong(thread.getFileName().toString()), parseCpuTicks(stat));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the threads in " + tasks + " (process gone?)", e);
        }
        return ticks;
    }

    /**
     * Ticks the threads of {@code after} used since {@code before}: a thread new in {@code after} counts from zero; one
     * that ended in between is lost (its last ticks are gone with it), so the figure errs low, never high.
     */
    static long ticksSince(Map<Long, Long> before, Map<Long, Long> after) {
        long total = 0;
        for (Map.Entry<Long, Long> thread : after.entrySet()) {
            total += thread.getValue() - before.getOrDefault(thread.getKey(), 0L);
        }
        return total;
    }

    static boolean isCompilerThread(String stat) {
        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        return name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre");
    }

    /** A {@code /proc/PID/status} size field such as VmHWM or VmRSS, in bytes. */
    static long statusBytes(long pid, String field) {
        return parseStatusKib(read(Path.of("/proc", Long.toString(pid), "status")), field) * 1024;
    }

    /** The soft RLIMIT_NOFILE of {@code pid} ("self" for this JVM). */
    static long openFilesSoftLimit(String pid) {
        return parseOpenFilesSoftLimit(read(Path.of("/proc", pid, "limits")));
    }

    /** A CPU time in clock ticks (as /proc/PID/stat counts it), in microseconds. */
    static double ticksToMicros(long ticks) {
        return ticks * 1e6 / clockTicksPerSecond();
    }

    /** USER_HZ from {@code getconf CLK_TCK}: the unit of the CPU times in /proc/PID/stat. */
    static long clockTicksPerSecond() {
        long cached = clockTicksPerSecond;
        if (cached == 0) {
            String answer = Commands.run(List.of("getconf", "CLK_TCK"), Duration.ofSeconds(10)).strip();
            try {
                cached = Long.parseLong(answer);
            } catch (NumberFormatException e) {
                throw new IllegalStateException("getconf CLK_TCK printed '" + answer + "'");
            }
            clockTicksPerSecond = cached;
        }
        return cached;
    }

    static long parseCpuTicks(String stat) {
        // The command name (field 2) is in parentheses and may itself contain spaces and ")".
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).strip().split(" ");
        long utime = Long.parseLong(fields[UTIME_FIELD - STATE_FIELD]);
        long stime = Long.parseLong(fields[STIME_FIELD - STATE_FIELD]);
        return utime + stime;
    }

    static long parseStatusKib(String status, String field) {
        for (String line : status.split("\n")) {
            if (line.startsWith(field + ":")) {
                String value = line.substring(field.length() + 1).strip();
                if (!value.endsWith(" kB")) {
                    throw new IllegalStateException("unexpected unit in '" + line + "'");
                }
                return Long.parseLong(value.substring(0, value.length() - 3).strip());
            }
        }
        throw new IllegalStateException("no " + field + " line in /proc/PID/status");
    }

    static long parseOpenFilesSoftLimit(String limits) {
        for (String line : limits.split("\n")) {
            if (line.startsWith("Max open files")) {
                String soft = line.substring("Max open files".length()).strip().split("\\s+")[0];
                return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
            }
        }
        throw new IllegalStateException("no 'Max open files' line in /proc/PID/limits");
    }

    private static String read(Path path) {
        try {
            return Files.readString(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + " (process gone?)", e);
        }
    }
}
