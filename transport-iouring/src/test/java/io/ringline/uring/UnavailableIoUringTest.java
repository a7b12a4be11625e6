package io.ringline.uring;

import io.ringline.uring.child.ChildJvm;
import io.ringline.uring.child.EchoOnceMain;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * io_uring refused by the {@code kernel.io_uring_disabled} sysctl. Flipping it changes the whole machine, so each
 * check runs in a child JVM and the value is restored in {@code finally}; nothing else in this JVM creates rings
 * meanwhile (surefire runs test classes one at a time).
 */
class UnavailableIoUringTest {
    private static final Path SYSCTL = Path.of("/proc/sys/kernel/io_uring_disabled");

    @Test
    void disabledForEveryoneNamesTheSysctl() throws Exception {
        ChildJvm.Result result = withSysctl("2", () -> ChildJvm.run(EchoOnceMain.class, -1));
        assertThat(result.output()).as(result.output())
                .contains("AVAILABLE false")
                .contains("EPERM")
                .contains("kernel.io_uring_disabled = 2");
    }

    @Test
    void restrictedToPrivilegedProcessesNamesTheSysctl() throws Exception {
        ChildJvm.ensureUser();
        ChildJvm.Result result = withSysctl("1", () -> ChildJvm.run(EchoOnceMain.class, 8192));
        assertThat(result.output()).as(result.output())
                .contains("AVAILABLE false")
                .contains("EPERM")
                .contains("kernel.io_uring_disabled = 1");
    }

    private interface Check {
        ChildJvm.Result run() throws Exception;
    }

    private static ChildJvm.Result withSysctl(String value, Check check) throws Exception {
        assumeTrue(ChildJvm.isRoot() && Files.isWritable(SYSCTL), "changing kernel.io_uring_disabled needs root");
        String original = Files.readString(SYSCTL).trim();
        try {
            Files.writeString(SYSCTL, value);
            return check.run();
        } finally {
            Files.writeString(SYSCTL, original);
        }
    }
}
