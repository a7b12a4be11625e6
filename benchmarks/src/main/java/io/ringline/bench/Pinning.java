package io.ringline.bench;

import java.time.Duration;
import java.util.List;

/**
 * Optional CPU pinning with taskset: the server on CPU 0, the load client on CPU 1, so neither
 * steals the other's core and the scheduler cannot move them around between measurements.
 */
final class Pinning {
    static final int SERVER_CPU = 0;
    static final int CLIENT_CPU = 1;

    private Pinning() {
    }

    /**
     * Pins every thread of this JVM (the in-process load client) to {@link #CLIENT_CPU}. Threads
     * created later inherit the mask from their creator.
     */
    static void pinThisJvmToClientCpu() {
        if (Runtime.getRuntime().availableProcessors() <= CLIENT_CPU) {
            throw new IllegalStateException("--pin needs CPUs " + SERVER_CPU + " and " + CLIENT_CPU
                    + ", but this JVM sees " + Runtime.getRuntime().availableProcessors());
        }
        Commands.run(List.of("taskset", "--all-tasks", "--cpu-list", "--pid",
                Integer.toString(CLIENT_CPU), Long.toString(ProcessHandle.current().pid())), Duration.ofSeconds(10));
    }

    /** Prefix for an external client command. */
    static List<String> clientPrefix() {
        return List.of("taskset", "-c", Integer.toString(CLIENT_CPU));
    }
}
