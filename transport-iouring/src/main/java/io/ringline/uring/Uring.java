package io.ringline.uring;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.internal.ThreadExecutorMap;
import io.ringline.uring.linux.Errno;
import io.ringline.uring.linux.ErrnoException;
import io.ringline.uring.linux.LibC;
import io.ringline.uring.ring.Ring;
import io.ringline.uring.ring.RingOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntPredicate;

import static io.ringline.uring.linux.IoUringConstants.IORING_OP_SEND_ZC;
import static io.ringline.uring.linux.IoUringConstants.IORING_OP_SOCKET;

/**
 * Whether Ringline can run here, and why not. The answer comes from setting up a one-entry trial ring once per
 * process; the cause says what to change.
 */
public final class Uring {
    private static final Throwable UNAVAILABILITY_CAUSE = probe();

    private Uring() { }

    private static Throwable probe() {
        if (!"Linux".equals(System.getProperty("os.name")) || !"amd64".equals(System.getProperty("os.arch"))) {
            return new UnsupportedOperationException("Ringline runs on Linux x86_64 only, not "
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        }
        try (Ring ring = Ring.open(RingOptions.of(1).withCqEntries(2))) {
            return missingKernelFeature(ring::supportsOpcode, System.getProperty("os.version"));
        } catch (IOException e) {
            return new UnsupportedOperationException(explain(e), e);
        } catch (Throwable t) { // e.g. IllegalCallerException: native access not enabled
            return new UnsupportedOperationException("io_uring is unavailable: " + t
                    + " (run the JVM with --enable-native-access=ALL-UNNAMED)", t);
        }
    }

    /**
     * What a kernel whose io_uring supports the opcodes {@code supportsOpcode} accepts lacks for Ringline, as the
     * cause to report; null if nothing. io_uring has no flag for the features themselves, so an opcode of the same
     * release stands in: IORING_OP_SOCKET came with 5.19, as did the cancellation of every operation on an fd
     * (IORING_ASYNC_CANCEL_FD | ALL) that a channel leaving its loop relies on.
     */
    static UnsupportedOperationException missingKernelFeature(IntPredicate supportsOpcode, String kernelRelease) {
        if (!supportsOpcode.test(IORING_OP_SOCKET)) {
            return new UnsupportedOperationException("Ringline needs Linux 5.19 or newer (io_uring's cancellation "
                    + "of every operation on an fd, IORING_ASYNC_CANCEL_FD); this is " + kernelRelease);
        }
        return null;
    }

    /** Whether the kernel has multishot recv (6.0), told by IORING_OP_SEND_ZC, of the same release. */
    static boolean hasMultishotRecv(IntPredicate supportsOpcode) {
        return supportsOpcode.test(IORING_OP_SEND_ZC);
    }

    /** True if io_uring works here. */
    public static boolean isAvailable() {
        return UNAVAILABILITY_CAUSE == null;
    }

    /** Why io_uring does not work here, with what to do about it; null if it does. */
    public static Throwable unavailabilityCause() {
        return UNAVAILABILITY_CAUSE;
    }

    /** Throws an {@link UnsatisfiedLinkError} carrying {@link #unavailabilityCause()} if io_uring does not work. */
    public static void ensureAvailability() {
        if (UNAVAILABILITY_CAUSE != null) {
            throw (Error) new UnsatisfiedLinkError("Ringline cannot use io_uring: "
                    + UNAVAILABILITY_CAUSE.getMessage()).initCause(UNAVAILABILITY_CAUSE);
        }
    }

    /**
     * The counters of every Ringline loop in {@code group}, summed (each read on its own loop thread). Loops of
     * other transports count as zero. Called on an event loop's thread, it reads the other loops' counters as they
     * stand instead of waiting for those loops (they may lag a pass behind).
     */
    public static UringMetrics metrics(EventLoopGroup group) {
        // Waiting for another loop from a loop's thread stalls this loop's I/O, and deadlocks when that loop waits for
        // this one (two loops asking at once): each waited 10 s for the other, and one of them threw.
        boolean onEventLoop = ThreadExecutorMap.currentExecutor() != null;
        UringMetrics sum = UringMetrics.ZERO;
        for (EventExecutor executor : group) {
            UringIoHandler handler = UringIoHandler.HANDLERS.get(executor);
            if (handler != null) {
                // On any loop's thread (this one's included) read directly; elsewhere ask each loop for its own.
                sum = sum.plus(onEventLoop ? handler.snapshot() : snapshotOn(executor, handler));
            }
        }
        return sum;
    }

    /**
     * {@code handler}'s counters, read on its loop; zero for a loop that ends meanwhile, as once it has ended (it may
     * refuse the task, or accept it just as it ends and never run it).
     */
    private static UringMetrics snapshotOn(EventExecutor executor, UringIoHandler handler) {
        Future<UringMetrics> snapshot;
        try {
            snapshot = executor.submit(handler::snapshot);
        } catch (RejectedExecutionException e) {
            return UringMetrics.ZERO;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        try {
            while (!snapshot.await(10, TimeUnit.MILLISECONDS) && !executor.isTerminated()) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("cannot read the metrics of " + executor,
                            new TimeoutException("no answer in 10 s"));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading loop metrics", e);
        }
        if (!snapshot.isDone() || snapshot.cause() instanceof RejectedExecutionException) {
            return UringMetrics.ZERO;
        }
        if (!snapshot.isSuccess()) {
            throw new IllegalStateException("cannot read the metrics of " + executor, snapshot.cause());
        }
        return snapshot.getNow();
    }

    /**
     * A message for an io_uring setup or registration failure that names the cause and the fix: the
     * {@code kernel.io_uring_disabled} sysctl, seccomp, the locked-memory limit, or the kernel version.
     */
    static String explain(IOException failure) {
        if (!(failure instanceof ErrnoException e)) {
            return failure.getMessage();
        }
        String message = failure.getMessage();
        return switch (e.errno()) {
            case Errno.EPERM -> {
                String disabled = sysctl("kernel/io_uring_disabled");
                if ("2".equals(disabled)) {
                    yield message + ": io_uring is disabled for all processes (sysctl kernel.io_uring_disabled = 2);"
                            + " set it to 0 to use Ringline";
                }
                if ("1".equals(disabled)) {
                    yield message + ": io_uring is restricted to privileged processes and the group in "
                            + "kernel.io_uring_group (sysctl kernel.io_uring_disabled = 1); set it to 0, or run as "
                            + "a member of that group";
                }
                yield message + ": io_uring is allowed by the kernel (kernel.io_uring_disabled = "
                        + (disabled == null ? "absent" : disabled) + "), so a seccomp filter forbids it (Docker's "
                        + "and containerd's default profiles do); allow io_uring_setup/enter/register in the profile";
            }
            case Errno.ENOSYS -> message + ": the kernel has no io_uring (built without CONFIG_IO_URING, or a "
                    + "seccomp filter answers ENOSYS); Ringline needs Linux 5.19 or newer with io_uring";
            // Only io_uring's own setup and registrations count against RLIMIT_MEMLOCK; an mmap of ours that fails
            // with ENOMEM is short of memory, and raising ulimit -l would not help.
            case Errno.ENOMEM -> message.startsWith("mmap(buffer pool")
                    ? message + ": not enough memory for it; lower bufferSize and bufferCount (each growth step of the "
                            + "pool maps bufferSize * bufferCount bytes)"
                    : message.startsWith("mmap(") ? message + ": not enough memory for it"
                    : message + ": the locked-memory limit is exhausted (ulimit -l is "
                    + memlockLimit() + "); raise it (ulimit -l, or LimitMEMLOCK= in systemd, or memlock in "
                    + "/etc/security/limits.conf), or use fewer/smaller rings and buffers";
            // A refused setup means a kernel older than Ringline needs; a refused registration, one older than that
            // feature needs (its message names the version).
            case Errno.EINVAL -> message.startsWith("io_uring_setup")
                    ? message + ": the kernel rejected the io_uring setup; Ringline needs Linux 5.19 or newer (this is "
                            + System.getProperty("os.version") + ")"
                    : message + ": the kernel (" + System.getProperty("os.version") + ") rejected the request; it may "
                            + "be older than the feature needs";
            default -> message;
        };
    }

    /** {@code ulimit -l} as the shell prints it: KiB, or "unlimited". */
    static String memlockLimit() {
        try {
            long limit = LibC.getrlimitSoft(LibC.RLIMIT_MEMLOCK);
            return limit == LibC.RLIM_INFINITY ? "unlimited" : (limit / 1024) + " KiB";
        } catch (RuntimeException e) {
            return "unknown";
        }
    }

    private static String sysctl(String name) {
        try {
            return Files.readString(Path.of("/proc/sys", name)).trim();
        } catch (IOException e) {
            return null;
        }
    }
}
