package io.ringline.uring;

import io.ringline.uring.child.ChildJvm;
import io.ringline.uring.child.EchoOnceMain;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * An unprivileged user under a small {@code ulimit -l}: the ring fits, and so does the default (unregistered) pool;
 * a pool asked to register as fixed buffers does not. The transport then keeps working with the pool unregistered
 * and says so once, naming the limit.
 */
class LowMemlockTest {

    @BeforeAll
    static void createUser() throws Exception {
        assumeTrue(ChildJvm.isRoot(), "creating an unprivileged test user needs root");
        ChildJvm.ensureUser();
    }

    @Test
    void theDefaultPoolNeedsNoLockedMemory() throws Exception {
        ChildJvm.Result result = ChildJvm.run(EchoOnceMain.class, 2048);
        assertThat(result.output()).as(result.output())
                .contains("ECHO OK")
                .doesNotContain("works unregistered")
                .containsPattern("poolSlots=[1-9]")
                .containsPattern("poolSlotSends=[1-9]");
        assertThat(result.exitCode()).isZero();
    }

    @Test
    void aPoolAskedToRegisterWorksUnregisteredAndTheLogNamesTheLimit() throws Exception {
        ChildJvm.Result result = ChildJvm.run(EchoOnceMain.class, 2048, "registered");
        assertThat(result.output()).as(result.output())
                .contains("ECHO OK")
                .contains("buffer pool works unregistered")
                .contains("ENOMEM")
                .contains("ulimit -l is 2048 KiB");
        assertThat(result.output()).contains("fixedSends=0").containsPattern("poolSlotSends=[1-9]");
        assertThat(result.exitCode()).isZero();
    }

    @Test
    void aRingThatDoesNotFitNamesTheLimit() throws Exception {
        ChildJvm.Result result = ChildJvm.run(EchoOnceMain.class, 128);
        // The one-entry trial ring fits in 128 KiB; the loop's 4096-entry ring does not.
        assertThat(result.output()).as(result.output())
                .contains("io_uring_setup")
                .contains("ENOMEM")
                .contains("ulimit -l is 128 KiB");
        assertThat(result.exitCode()).isNotZero();
    }
}
