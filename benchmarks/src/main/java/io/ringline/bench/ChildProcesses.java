package io.ringline.bench;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The server and client processes this JVM started and has not finished with. If the runner is
 * interrupted (Ctrl-C, SIGTERM), a shutdown hook ends exactly these, so no echo server outlives it.
 */
final class ChildProcesses {
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ChildProcesses::destroyAll, "ringline-bench-children"));
    }

    private ChildProcesses() {
    }

    static Process track(Process process) {
        LIVE.add(process);
        return process;
    }

    static void untrack(Process process) {
        LIVE.remove(process);
    }

    private static void destroyAll() {
        for (Process process : LIVE) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }
}
