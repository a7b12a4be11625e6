package io.ringline.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Facts about the machine and software that a benchmark result depends on, for the report. */
final class MachineFacts {
    private MachineFacts() {
    }

    /** Label → value, in report order. Anything unreadable says so instead of failing the run. */
    static Map<String, String> collect(Path serverJava) {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("CPU", firstValue("/proc/cpuinfo", "model name") + " — "
                + Runtime.getRuntime().availableProcessors() + " logical CPUs visible to the runner");
        facts.put("Memory", memTotal());
        facts.put("Kernel", read("/proc/sys/kernel/ostype") + " " + read("/proc/sys/kernel/osrelease"));
        facts.put("kernel.io_uring_disabled", read("/proc/sys/kernel/io_uring_disabled"));
        facts.put("Server JDK", javaVersion(serverJava));
        facts.put("Runner JDK", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        facts.put("Load average at start", read("/proc/loadavg"));
        facts.put("Clock ticks/s (CLK_TCK)", Long.toString(ProcStats.clockTicksPerSecond()));
        return facts;
    }

    /** Cpus_allowed_list of this JVM's main thread, to show that pinning took effect. */
    static String cpuAffinityOfThisJvm() {
        return firstValue("/proc/self/status", "Cpus_allowed_list");
    }

    private static String javaVersion(Path java) {
        try {
            String[] lines = Commands.run(List.of(java.toString(), "-version"), Duration.ofSeconds(20)).strip().split("\n");
            return String.join("; ", lines).replace("|", "/");
        } catch (RuntimeException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    private static String memTotal() {
        String line = firstValue("/proc/meminfo", "MemTotal");
        try {
            long kib = Long.parseLong(line.replace("kB", "").strip());
            return String.format(java.util.Locale.ROOT, "%.1f GiB", kib / (1024.0 * 1024.0));
        } catch (NumberFormatException e) {
            return line;
        }
    }

    private static String firstValue(String file, String key) {
        for (String line : read(file).split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).strip().equals(key)) {
                return line.substring(colon + 1).strip();
            }
        }
        return "unknown";
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file)).strip();
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }
}
