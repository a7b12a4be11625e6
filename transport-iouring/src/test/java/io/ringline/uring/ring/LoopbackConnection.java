package io.ringline.uring.ring;

import io.ringline.uring.linux.LibC;
import io.ringline.uring.linux.SockAddr;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A TCP connection over loopback for ring tests: {@link #fd} is the accepted end (accepted through the ring, so the
 * tests need nothing but the ring core and LibC), {@link #peer} a blocking JDK socket for the other end.
 */
final class LoopbackConnection implements AutoCloseable {
    final Socket peer;
    /** The accepted socket; -1 once a test closed it itself. */
    int fd;

    private LoopbackConnection(Socket peer, int fd) {
        this.peer = peer;
        this.fd = fd;
    }

    static LoopbackConnection open(Ring ring) throws IOException {
        int listener = LibC.socket(LibC.AF_INET, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        assertThat(listener).as("socket").isNotNegative();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = arena.allocate(SockAddr.STORAGE_SIZE);
            int length = SockAddr.write(address, LibC.AF_INET,
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            assertThat(LibC.bind(listener, address, length)).as("bind").isZero();
            assertThat(LibC.listen(listener, 1)).as("listen").isZero();
            MemorySegment addressLength = arena.allocateFrom(JAVA_INT, SockAddr.STORAGE_SIZE);
            assertThat(LibC.getsockname(listener, address, addressLength)).as("getsockname").isZero();
            Socket peer = new Socket();
            peer.connect(SockAddr.read(address));
            ring.submissionQueue().prepAccept(listener, 0, 0, LibC.SOCK_CLOEXEC, 1);
            int[] accepted = {-1};
            ring.submitAndWait(1, 1_000_000_000L);
            ring.completionQueue().drain((userData, res, flags) -> accepted[0] = res);
            assertThat(accepted[0]).as("accepted fd").isNotNegative();
            return new LoopbackConnection(peer, accepted[0]);
        } finally {
            LibC.close(listener);
        }
    }

    /** Closes the accepted end's fd (not the socket, if something else still holds it). */
    void closeFd() {
        if (fd >= 0) {
            LibC.close(fd);
            fd = -1;
        }
    }

    @Override
    public void close() throws IOException {
        closeFd();
        peer.close();
    }
}
