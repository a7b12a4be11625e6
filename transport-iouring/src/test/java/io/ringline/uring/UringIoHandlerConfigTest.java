package io.ringline.uring;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Settings from system properties pass the same checks as the setters, and a bad one is refused by its name. */
class UringIoHandlerConfigTest {

    @Test
    void aPropertyValueIsUsed() {
        withProperty("io.ringline.uring.bufferCount", "64", () ->
                assertThat(new UringIoHandlerConfig().getBufferCount()).isEqualTo(64));
    }

    /** Unchecked, bufferCount 0 passed and the event loop died dividing by it, with nothing naming the setting. */
    @Test
    void aBadPropertyValueIsRefusedNamingTheProperty() {
        withProperty("io.ringline.uring.bufferCount", "0", () -> {
            assertThatThrownBy(UringIoHandlerConfig::new).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("system property io.ringline.uring.bufferCount: bufferCount must be in 1..32768: 0");
            assertThatThrownBy(() -> UringIoHandler.newFactory()).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("io.ringline.uring.bufferCount");
        });
        withProperty("io.ringline.uring.completionQueueSize", "8", () ->
                assertThatThrownBy(UringIoHandlerConfig::new).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageStartingWith("system property io.ringline.uring.completionQueueSize: "));
    }

    /**
     * Each setter checks the completion queue against the ring; in this order the ring grew past the completion
     * queue set before it, and the loop failed at start with "cqEntries: 4096 (expected >= sqEntries 8192)".
     */
    @Test
    void aRingLargerThanTheCompletionQueueSetBeforeIsRefusedNamingBoth() {
        assertThatThrownBy(() -> new UringIoHandlerConfig().setCompletionQueueSize(4096).setRingSize(8192))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("ringSize 8192 is more than completionQueueSize 4096: the completion queue must be at "
                        + "least as large as the ring");
        assertThatThrownBy(() -> new UringIoHandlerConfig().setRingSize(8192).setCompletionQueueSize(4096))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("completionQueueSize");
    }

    @Test
    void aCopyKeepsTheSettingsWithoutReadingThePropertiesAgain() {
        UringIoHandlerConfig config = new UringIoHandlerConfig().setBufferCount(32).setRegisteredBuffers(true);
        withProperty("io.ringline.uring.bufferCount", "0", () -> {
            UringIoHandlerConfig copy = config.copy();
            assertThat(copy.getBufferCount()).isEqualTo(32);
            assertThat(copy.isRegisteredBuffers()).isTrue();
            assertThat(copy.toString()).isEqualTo(config.toString());
        });
        withProperty("io.ringline.uring.noBufferPool", "true", () ->
                assertThat(config.copy().isBufferPool()).as("the original's setting, not the property's").isTrue());
    }

    private static void withProperty(String name, String value, Runnable check) {
        System.setProperty(name, value);
        try {
            check.run();
        } finally {
            System.clearProperty(name);
        }
    }

    /**
     * Pool sizes that each pass the setters' checks (1 to 32768) make a loop that serves, also when the cap is no
     * multiple of the chunk (before, 11 chunks of 3000 overran the buffer ring and the loop died at start).
     */
    @Test
    void aPoolCapThatIsNoMultipleOfItsChunkMakesALoopThatServes() throws Exception {
        UringIoHandlerConfig config = new UringIoHandlerConfig().setBufferSize(64).setBufferCount(3000)
                .setMaxBufferCount(32768);
        try (EchoServerFixture server = EchoServerFixture.ringline(config, 1, EchoServerFixture.EchoHandler.INSTANCE)) {
            EchoTest.assertEchoes(server, 1000);
        }
    }
}
