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

import static io.ringline.uring.linux.IoUringConstants.IORING_REGISTER_FILES2;
import static io.ringline.uring.linux.IoUringConstants.IORING_REGISTER_PBUF_RING;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A kernel between 5.11 and 5.19 runs Ringline, but answers EINVAL to provided buffer rings and sparse file tables
 * (both 5.19). The loop logs Uring.explain of that failure: it must name the kernel the feature needs, not tell the
 * user that Linux 5.11 is needed while they run something newer.
 */
class MissingKernelFeatureMessageTest {

    @Test
    void aBufferRingRefusedByAnOlderKernelNamesTheKernelItNeeds() throws Exception {
        String message = explainOnFilteredThread(IORING_REGISTER_PBUF_RING,
                ring -> BufferRing.register(ring, (short) 0, 8));
        assertThat(message).contains("IORING_REGISTER_PBUF_RING").contains("EINVAL")
                .doesNotContain("needs Linux 5.11").contains("5.19");
    }

    @Test
    void aSparseFileTableRefusedByAnOlderKernelNamesTheKernelItNeeds() throws Exception {
        String message = explainOnFilteredThread(IORING_REGISTER_FILES2, ring -> FileTable.register(ring, 8));
        assertThat(message).contains("IORING_REGISTER_FILES2").contains("EINVAL")
                .doesNotContain("needs Linux 5.11").contains("5.19");
    }

    interface RingAction {
        void run(Ring ring) throws IOException;
    }

    /** Runs {@code action} where io_uring_register({@code opcode}) fails with EINVAL, as on a 5.11..5.18 kernel. */
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
