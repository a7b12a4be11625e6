package io.ringline.uring;

import io.ringline.uring.child.ChildJvm;
import io.ringline.uring.child.EchoOnceMain;
import io.ringline.uring.ring.BufferPool;
import io.ringline.uring.ring.Ring;
import io.ringline.uring.ring.RingOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
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

    /**
     * ENOMEM is not always the locked-memory limit: the largest pool the config accepts (16 MiB x 32768 slots = 512
     * GiB per loop), not registered, does not fit in memory, and nothing of it is locked. The message the loop logs
     * says so, instead of telling the user to raise ulimit -l.
     */
    @Test
    void anUnregisteredPoolThatDoesNotFitInMemoryIsNotBlamedOnUlimitL() throws Exception {
        UringIoHandlerConfig config = new UringIoHandlerConfig().setBufferSize(1 << 24).setBufferCount(32768)
                .setMaxBufferCount(32768);
        assertThat(config.isRegisteredBuffers()).isFalse();
        try (Ring ring = Ring.open(RingOptions.of(8))) {
            IOException failure = catchThrowableOfType(IOException.class, () -> BufferPool.create(ring, (short) 0,
                    config.getBufferSize(), config.getBufferCount(), config.getMaxBufferCount(),
                    config.isRegisteredBuffers()).close());
            assertThat(failure).as("a 512 GiB pool does not fit here").isNotNull();
            String logged = Uring.explain(failure); // what initialize() logs
            System.out.println(logged);
            assertThat(logged).contains("ENOMEM")
                    .doesNotContain("locked-memory limit")
                    .doesNotContain("ulimit -l");
        }
    }
}
