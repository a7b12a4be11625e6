package io.ringline.uring;

import io.ringline.uring.linux.Errno;
import io.ringline.uring.ring.BufferRing;
import io.ringline.uring.ring.FileTable;
import io.ringline.uring.ring.Ring;
import io.ringline.uring.ring.RingOptions;
import io.ringline.uring.ring.SyscallFilter;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicReference;

import static io.ringline.uring.linux.IoUringConstants.IORING_OP_SEND_ZC;
import static io.ringline.uring.linux.IoUringConstants.IORING_OP_SOCKET;
import static io.ringline.uring.linux.IoUringConstants.IORING_REGISTER_FILES2;
import static io.ringline.uring.linux.IoUringConstants.IORING_REGISTER_PBUF_RING;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kernel features Ringline needs, or uses where the kernel has them: a kernel without them gets a message naming the
 * release that brings them. Older kernels cannot be booted here, so what they answer is played: an opcode missing from
 * the probe, or EINVAL from io_uring_register (a per-thread seccomp filter).
 */
class MissingKernelFeatureMessageTest {

    @Test
    void aBufferRingRefusedByAnOlderKernelNamesTheKernelItNeeds() throws Exception {
        String message = explainOnFilteredThread(IORING_REGISTER_PBUF_RING,
                ring -> BufferRing.register(ring, (short) 0, 8));
        assertThat(message).contains("IORING_REGISTER_PBUF_RING").contains("EINVAL")
                .contains("needs Linux 5.19").doesNotContain("rejected the io_uring setup");
    }

    @Test
    void aSparseFileTableRefusedByAnOlderKernelNamesTheKernelItNeeds() throws Exception {
        String message = explainOnFilteredThread(IORING_REGISTER_FILES2, ring -> FileTable.register(ring, 8));
        assertThat(message).contains("IORING_REGISTER_FILES2").contains("EINVAL")
                .contains("needs Linux 5.19").doesNotContain("rejected the io_uring setup");
    }

    /** Before 5.19 (no IORING_OP_SOCKET, nor the cancellation by fd a leaving channel relies on): unavailable. */
    @Test
    void aKernelBefore519IsUnavailableWithTheReleaseItNeeds() {
        UnsupportedOperationException cause = Uring.missingKernelFeature(op -> op != IORING_OP_SOCKET, "5.15.0-91");
        assertThat(cause).isNotNull();
        assertThat(cause.getMessage()).contains("Linux 5.19 or newer").contains("IORING_ASYNC_CANCEL_FD")
                .contains("this is 5.15.0-91");
    }

    /** Multishot recv came with 6.0 (as IORING_OP_SEND_ZC); a 5.19 kernel reads with single-shot receives. */
    @Test
    void multishotRecvIsUsedOnlyWhereTheKernelHasIt() {
        assertThat(Uring.hasMultishotRecv(op -> op != IORING_OP_SEND_ZC)).isFalse();
        assertThat(Uring.hasMultishotRecv(op -> true)).isTrue();
    }

    /** This kernel (6.18) has all of it, probed for real. */
    @Test
    void thisKernelLacksNothing() throws Exception {
        try (Ring ring = Ring.open(RingOptions.of(8))) {
            assertThat(Uring.missingKernelFeature(ring::supportsOpcode, "this")).isNull();
            assertThat(Uring.hasMultishotRecv(ring::supportsOpcode)).isTrue();
        }
        assertThat(Uring.isAvailable()).isTrue();
    }

    interface RingAction {
        void run(Ring ring) throws IOException;
    }

    /** Runs {@code action} where io_uring_register({@code opcode}) fails with EINVAL, as a kernel before 5.19 does. */
    private static String explainOnFilteredThread(int opcode, RingAction action) throws Exception {
        AtomicReference<Object> result = new AtomicReference<>();
        Thread thread = Thread.ofPlatform().start(() -> {
            try (Ring ring = Ring.open(RingOptions.of(8))) {
                SyscallFilter.refuse(SyscallFilter.IO_URING_REGISTER, opcode, Errno.EINVAL);
                action.run(ring);
                result.set(new AssertionError("not refused"));
            } catch (IOException e) {
                result.set(Uring.explain(e));
            } catch (Throwable t) {
                result.set(t);
            }
        });
        thread.join();
        assertThat(result.get()).isInstanceOf(String.class);
        return (String) result.get();
    }
}
