package io.ringline.uring.ring;

import io.ringline.uring.linux.LibC;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FileTableTest {

    @Test
    void anOperationOnAFixedFileReachesTheSocketWithoutItsFd() throws Exception {
        try (Ring ring = Ring.open(RingOptions.of(8)); Arena arena = Arena.ofConfined();
             LoopbackConnection connection = LoopbackConnection.open(ring)) {
            FileTable table = FileTable.register(ring, 4);
            int index = table.install(connection.fd);
            connection.closeFd(); // from here on only the table names the socket: a plain-fd recv would be EBADF
            connection.peer.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));

            MemorySegment buffer = arena.allocate(16);
            ring.submissionQueue().prepRecv(-1, buffer.address(), 16, 0, 7);
            ring.submissionQueue().useFixedFileOnLast(index);
            ring.submitAndWait(1, 1_000_000_000L);
            int[] received = {Integer.MIN_VALUE};
            ring.completionQueue().drain((userData, res, flags) -> received[0] = res);

            assertThat(received[0]).isEqualTo(5);
            assertThat(buffer.getString(0, StandardCharsets.US_ASCII)).isEqualTo("hello");
            table.remove(index);
        }
    }

    @Test
    void closingTheFdEndsTheConnectionOnlyOnceTheEntryIsRemoved() throws Exception {
        try (Ring ring = Ring.open(RingOptions.of(8)); LoopbackConnection connection = LoopbackConnection.open(ring)) {
            FileTable table = FileTable.register(ring, 4);
            int index = table.install(connection.fd);
            connection.closeFd();

            connection.peer.setSoTimeout(200);
            assertThatThrownBy(() -> connection.peer.getInputStream().read())
                    .as("no FIN while the table holds the socket").isInstanceOf(SocketTimeoutException.class);

            table.remove(index);
            connection.peer.setSoTimeout(5_000);
            assertThat(connection.peer.getInputStream().read()).as("end of stream").isEqualTo(-1);
            assertThat(table.inUse()).isZero();
        }
    }

    @Test
    void handsOutEachIndexOnceAndTakesItBack() throws Exception {
        try (Ring ring = Ring.open(RingOptions.of(8))) {
            FileTable table = FileTable.register(ring, 2);
            int first = eventFd();
            int second = eventFd();
            try {
                int a = table.install(first);
                int b = table.install(second);
                assertThat(a).isNotEqualTo(b).isBetween(0, 1);
                assertThat(b).isBetween(0, 1);
                assertThat(table.install(first)).as("table full").isEqualTo(-1);
                assertThat(table.inUse()).isEqualTo(2);

                table.remove(a);
                assertThat(table.inUse()).isEqualTo(1);
                assertThat(table.install(second)).isEqualTo(a);
                assertThatThrownBy(() -> table.remove(5)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("no file installed at fixed file index 5");
                table.remove(b);
                assertThatThrownBy(() -> table.remove(b)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("index " + b);
            } finally {
                LibC.close(first);
                LibC.close(second);
            }
        }
    }

    @Test
    void aClosedFdIsRefusedAndTakesNoEntry() throws Exception {
        try (Ring ring = Ring.open(RingOptions.of(8))) {
            FileTable table = FileTable.register(ring, 2);
            int closed = eventFd();
            LibC.close(closed);

            assertThatThrownBy(() -> table.install(closed)).isInstanceOf(IOException.class)
                    .hasMessageContaining("IORING_REGISTER_FILES_UPDATE2").hasMessageContaining("EBADF");
            assertThat(table.inUse()).isZero();
        }
    }

    @Test
    void aTableBeyondTheOpenFilesLimitIsRefusedWithTheReason() throws Exception {
        long openFiles = LibC.getrlimitSoft(LibC.RLIMIT_NOFILE);
        try (Ring ring = Ring.open(RingOptions.of(8))) {
            assertThatThrownBy(() -> FileTable.register(ring, (int) Math.min(openFiles + 1, 1 << 20)))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("IORING_REGISTER_FILES2").hasMessageContaining("EMFILE");
            FileTable.register(ring, 1); // the refused table left nothing behind
            assertThatThrownBy(() -> FileTable.register(ring, 1)).as("one table per ring")
                    .isInstanceOf(IOException.class).hasMessageContaining("EBUSY");
        }
    }

    private static int eventFd() {
        int fd = LibC.eventfd(0, LibC.EFD_CLOEXEC);
        assertThat(fd).isNotNegative();
        return fd;
    }
}
