package io.ringline.uring.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Downcalls into the C library: the Linux system calls Ringline needs and nothing else.
 *
 * <p>Every method returns what the call returns on success and {@code -errno} on failure (liburing's
 * convention), so callers on hot paths branch on the sign without an exception; {@link Errno} turns a negative
 * result into an exception where one is wanted. {@code errno} is captured by the linker right after the call
 * ({@link Linker.Option#captureCallState}), into a buffer owned by the calling thread.
 */
public final class LibC {
    private LibC() { }

    // syscall(2) numbers, x86_64 (arch/x86/entry/syscalls/syscall_64.tbl).
    private static final long SYS_IO_URING_SETUP = 425;
    private static final long SYS_IO_URING_ENTER = 426;
    private static final long SYS_IO_URING_REGISTER = 427;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final ThreadLocal<MemorySegment> CAPTURE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    private static MethodHandle function(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc lacks " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** {@code long syscall(long number, ...)} with {@code argc} variadic {@code long} arguments. */
    private static MethodHandle syscall(int argc) {
        MemoryLayout[] args = new MemoryLayout[argc + 1];
        java.util.Arrays.fill(args, JAVA_LONG);
        return function("syscall", FunctionDescriptor.of(JAVA_LONG, args),
                CAPTURE_ERRNO, Linker.Option.firstVariadicArg(1));
    }

    private static final MethodHandle SYSCALL2 = syscall(2);
    private static final MethodHandle SYSCALL4 = syscall(4);
    private static final MethodHandle SYSCALL6 = syscall(6);

    private static final MethodHandle MMAP = function("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), CAPTURE_ERRNO);
    private static final MethodHandle MUNMAP = function("munmap",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), CAPTURE_ERRNO);
    private static final MethodHandle SOCKET = function("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), CAPTURE_ERRNO);
    private static final MethodHandle BIND = function("bind",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), CAPTURE_ERRNO);
    private static final MethodHandle LISTEN = function("listen",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), CAPTURE_ERRNO);
    private static final MethodHandle SETSOCKOPT = function("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), CAPTURE_ERRNO);
    private static final MethodHandle GETSOCKOPT = function("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), CAPTURE_ERRNO);
    private static final MethodHandle GETSOCKNAME = function("getsockname",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), CAPTURE_ERRNO);
    private static final MethodHandle SHUTDOWN = function("shutdown",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), CAPTURE_ERRNO);
    private static final MethodHandle CLOSE = function("close",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT), CAPTURE_ERRNO);
    private static final MethodHandle EVENTFD = function("eventfd",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), CAPTURE_ERRNO);
    private static final MethodHandle READ = function("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), CAPTURE_ERRNO);
    private static final MethodHandle WRITE = function("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), CAPTURE_ERRNO);
    private static final MethodHandle PIPE2 = function("pipe2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), CAPTURE_ERRNO);
    private static final MethodHandle GETRLIMIT = function("getrlimit",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), CAPTURE_ERRNO);
    private static final MethodHandle STRERROR = function("strerror",
            FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    private static int result(int ret, MemorySegment capture) {
        return ret == -1 ? -errno(capture) : ret;
    }

    private static long result(long ret, MemorySegment capture) {
        return ret == -1 ? -errno(capture) : ret;
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException e) {
            return e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    /** io_uring_setup(2): returns the ring fd. */
    public static int ioUringSetup(int entries, MemorySegment params) {
        MemorySegment capture = CAPTURE.get();
        try {
            return (int) result((long) SYSCALL2.invokeExact(capture, SYS_IO_URING_SETUP,
                    (long) entries, params.address()), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** io_uring_enter(2), with {@code arg} the sigset or {@code struct io_uring_getevents_arg}. */
    public static int ioUringEnter(int fd, int toSubmit, int minComplete, int flags, long arg, long argSize) {
        MemorySegment capture = CAPTURE.get();
        try {
            return (int) result((long) SYSCALL6.invokeExact(capture, SYS_IO_URING_ENTER, (long) fd, (long) toSubmit,
                    (long) minComplete, (long) flags, arg, argSize), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** io_uring_register(2). */
    public static int ioUringRegister(int fd, int opcode, long arg, int nrArgs) {
        MemorySegment capture = CAPTURE.get();
        try {
            return (int) result((long) SYSCALL4.invokeExact(capture, SYS_IO_URING_REGISTER, (long) fd, (long) opcode,
                    arg, (long) nrArgs), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // mmap(2) constants
    public static final int PROT_READ = 0x1;
    public static final int PROT_WRITE = 0x2;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_POPULATE = 0x8000;

    /** mmap(2): returns the mapping's address, or {@code -errno} (mmap's MAP_FAILED is -1). */
    public static long mmap(long length, int prot, int flags, int fd, long offset) {
        MemorySegment capture = CAPTURE.get();
        try {
            long address = ((MemorySegment) MMAP.invokeExact(capture, MemorySegment.NULL, length, prot, flags, fd,
                    offset)).address();
            return address == -1L ? -errno(capture) : address;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int munmap(long address, long length) {
        MemorySegment capture = CAPTURE.get();
        try {
            return result((int) MUNMAP.invokeExact(capture, MemorySegment.ofAddress(address), length), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // socket(2) constants
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_NONBLOCK = 0x800;
    public static final int SOCK_CLOEXEC = 0x80000;

    public static int socket(int domain, int type, int protocol) {
        MemorySegment capture = CAPTURE.get();
        try {
            return result((int) SOCKET.invokeExact(capture, domain, type, protocol), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int bind(int fd, MemorySegment address, int addressLength) {
        MemorySegment capture = CAPTURE.get();
        try {
            return result((int) BIND.invokeExact(capture, fd, address, addressLength), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int listen(int fd, int backlog) {
        MemorySegment capture = CAPTURE.get();
        try {
            return result((int) LISTEN.invokeExact(capture, fd, backlog), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int setsockopt(int fd, int level, int name, MemorySegment value, int length) {
        MemorySegment capture = CAPTURE.get();
        try {
            return result((int) SETSOCKOPT.invokeExact(capture, fd, level, name, value, length), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** getsockopt(2); {@code length} is the in/out {@code socklen_t}. */
    public static int getsockopt(int fd, int level, int name, MemorySegment value, MemorySegment length) {
        MemorySegment capture = CAPTURE.get();
        try {
            return result((int) GETSOCKOPT.invokeExact(capture, fd, level, name, value, length), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int getsockname(int fd, MemorySegment address, MemorySegment length) {
        MemorySegment capture = CAPTURE.get();
        try {
            return result((int) GETSOCKNAME.invokeExact(capture, fd, address, length), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // shutdown(2) how
    public static final int SHUT_RD = 0;
    public static final int SHUT_WR = 1;
    public static final int SHUT_RDWR = 2;

    public static int shutdown(int fd, int how) {
        MemorySegment capture = CAPTURE.get();
        try {
            return result((int) SHUTDOWN.invokeExact(capture, fd, how), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int close(int fd) {
        MemorySegment capture = CAPTURE.get();
        try {
            return result((int) CLOSE.invokeExact(capture, fd), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // eventfd(2) flags
    public static final int EFD_CLOEXEC = 0x80000;
    public static final int EFD_NONBLOCK = 0x800;

    public static int eventfd(int initialValue, int flags) {
        MemorySegment capture = CAPTURE.get();
        try {
            return result((int) EVENTFD.invokeExact(capture, initialValue, flags), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long read(int fd, MemorySegment buffer, long count) {
        MemorySegment capture = CAPTURE.get();
        try {
            return result((long) READ.invokeExact(capture, fd, buffer, count), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long write(int fd, MemorySegment buffer, long count) {
        MemorySegment capture = CAPTURE.get();
        try {
            return result((long) WRITE.invokeExact(capture, fd, buffer, count), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;

    /** pipe2(2): {@code fds} receives the two descriptors (read end, write end). */
    public static int pipe2(MemorySegment fds, int flags) {
        MemorySegment capture = CAPTURE.get();
        try {
            return result((int) PIPE2.invokeExact(capture, fds, flags), capture);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** getrlimit(2) resource: open files, which also caps an io_uring fixed file table. */
    public static final int RLIMIT_NOFILE = 7;
    /** getrlimit(2) resource: locked memory, which io_uring charges rings and registered buffers against. */
    public static final int RLIMIT_MEMLOCK = 8;
    /** {@code RLIM_INFINITY}. */
    public static final long RLIM_INFINITY = -1L;

    /** getrlimit(2): the soft limit of {@code resource} (bytes, files...), {@link #RLIM_INFINITY} when unlimited. */
    public static long getrlimitSoft(int resource) {
        MemorySegment capture = CAPTURE.get();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rlimit = arena.allocate(JAVA_LONG, 2);
            int ret = result((int) GETRLIMIT.invokeExact(capture, resource, rlimit), capture);
            if (ret < 0) {
                throw new IllegalStateException("getrlimit(" + resource + "): " + Errno.name(-ret));
            }
            return rlimit.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** strerror(3): the C library's description of {@code errno}. */
    public static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
