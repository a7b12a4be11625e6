package io.ringline.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Live heap of another JVM, asked through {@code jcmd}: a full GC first (GC.run), so the figure is
 * what the connections really keep alive rather than however much garbage happened to be around.
 */
final class HeapInfo {
    private static final Duration JCMD_TIMEOUT = Duration.ofSeconds(30);
    /** "used 2913K" (G1, Serial, Parallel, ZGC) or "4020K used" (Shenandoah). */
    private static final Pattern USED = Pattern.compile("used (\\d+)([KMG])|(\\d+)([KMG]) used");

    private HeapInfo() {
    }

    static long liveHeapBytes(Path jcmd, long pid) {
        Commands.run(List.of(jcmd.toString(), Long.toString(pid), "GC.run"), JCMD_TIMEOUT);
        return parseUsedBytes(Commands.run(List.of(jcmd.toString(), Long.toString(pid), "GC.heap_info"), JCMD_TIMEOUT));
    }

    /** Sums the "used" figures of the heap lines (all generations), skipping Metaspace and class space. */
    static long parseUsedBytes(String heapInfo) {
        long total = 0;
        boolean found = false;
        for (String line : heapInfo.split("\n")) {
            if (line.contains("Metaspace") || line.contains("class space")) {
                continue;
            }
            Matcher m = USED.matcher(line);
            if (m.find()) {
                String number = m.group(1) != null ? m.group(1) : m.group(3);
                String unit = m.group(2) != null ? m.group(2) : m.group(4);
                total += Long.parseLong(number) * switch (unit) {
                    case "K" -> 1024L;
                    case "M" -> 1024L * 1024;
                    default -> 1024L * 1024 * 1024;
                };
                found = true;
            }
        }
        if (!found) {
            throw new IllegalStateException("no heap 'used' figure in jcmd GC.heap_info output: " + heapInfo.strip());
        }
        return total;
    }
}
