package io.ringline.uring;

import io.netty.channel.ChannelException;
import io.ringline.uring.linux.Errno;
import io.ringline.uring.linux.SocketOptions;
import io.ringline.uring.ring.SyscallFilter;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A new channel's socket is dual-stack: socket(AF_INET6), then IPV6_V6ONLY off. When that setsockopt fails (here a
 * seccomp filter refuses it on one thread) the channel cannot be made, and the socket opened for it must be closed,
 * not left open for the life of the process.
 */
class SocketCreationFailureTest {
    private static final int SETSOCKOPT = 54; // x86_64
    private static final int OPTION_NAME_ARGUMENT = 2; // setsockopt(fd, level, optname, ...)

    @Test
    void aSocketWhoseSetupFailsIsClosed() throws Exception {
        new UringSocketChannel().unsafe().closeForcibly(); // anything loaded once, before counting
        CompletableFuture<String> outcome = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                SyscallFilter.refuseWhenArgument(SETSOCKOPT, OPTION_NAME_ARGUMENT, SocketOptions.IPV6_V6ONLY,
                        Errno.EPERM);
                long before = sockets();
                StringBuilder failures = new StringBuilder();
                for (int i = 0; i < 10; i++) {
                    try {
                        new UringSocketChannel().unsafe().closeForcibly();
                        failures.append("made a channel; ");
                    } catch (ChannelException expected) {
                        if (i == 0) {
                            failures.append(expected.getCause()).append("; ");
                        }
                    }
                }
                outcome.complete(failures + "sockets left open: " + (sockets() - before));
            } catch (Throwable t) {
                outcome.completeExceptionally(t);
            }
        }, "refused-setsockopt");
        thread.start();
        assertThat(outcome.get(10, TimeUnit.SECONDS)).isEqualTo("io.ringline.uring.linux.ErrnoException: "
                + "setsockopt(IPV6_V6ONLY, 0): EPERM (Operation not permitted); sockets left open: 0");
    }

    private static long sockets() throws Exception {
        return TransportTestSupport.openFds().values().stream().filter(link -> link.startsWith("socket:")).count();
    }
}
