package io.ringline.uring.ring;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Makes one syscall fail with a chosen errno on the calling thread only, through a seccomp filter (seccomp(2),
 * SECCOMP_MODE_FILTER; x86_64 syscall numbers). A filter cannot be removed: use it on a thread that ends with the test.
 */
public final class SyscallFilter {
    public static final int IO_URING_ENTER = 426;
    public static final int IO_URING_REGISTER = 427;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle PRCTL = LINKER.downcallHandle(LINKER.defaultLookup().find("prctl").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(1));
    private static final int PR_SET_SECCOMP = 22;
    private static final int PR_SET_NO_NEW_PRIVS = 38;
    private static final long SECCOMP_MODE_FILTER = 2;
    // BPF instructions and seccomp return values (linux/filter.h, linux/seccomp.h)
    private static final short LOAD_WORD_ABSOLUTE = 0x20;
    private static final short JUMP_IF_EQUAL = 0x15;
    private static final short RETURN = 0x06;
    private static final int SECCOMP_RET_ERRNO = 0x0005_0000;
    private static final int SECCOMP_RET_ALLOW = 0x7fff_0000;
    private static final int SECCOMP_DATA_NR = 0;
    private static final int SECCOMP_DATA_ARGS = 16; // u64 args[6], after u32 nr, u32 arch, u64 instruction_pointer

    private SyscallFilter() {
    }

    /** From now on {@code syscall} fails with {@code errno} on this thread. */
    public static void refuse(int syscall, int errno) {
        install(new int[][]{
                {LOAD_WORD_ABSOLUTE, 0, 0, SECCOMP_DATA_NR},
                {JUMP_IF_EQUAL, 0, 1, syscall},
                {RETURN, 0, 0, SECCOMP_RET_ERRNO | errno},
                {RETURN, 0, 0, SECCOMP_RET_ALLOW},
        });
    }

    /** From now on {@code syscall} fails with {@code errno} on this thread when its second argument is {@code arg1}. */
    public static void refuse(int syscall, int arg1, int errno) {
        refuseWhenArgument(syscall, 1, arg1, errno);
    }

    /**
     * From now on {@code syscall} fails with {@code errno} on this thread when the low 32 bits of its argument number
     * {@code index} (0 is the first) are {@code value}.
     */
    public static void refuseWhenArgument(int syscall, int index, int value, int errno) {
        install(new int[][]{
                {LOAD_WORD_ABSOLUTE, 0, 0, SECCOMP_DATA_NR},
                {JUMP_IF_EQUAL, 0, 3, syscall},
                {LOAD_WORD_ABSOLUTE, 0, 0, SECCOMP_DATA_ARGS + 8 * index},
                {JUMP_IF_EQUAL, 0, 1, value},
                {RETURN, 0, 0, SECCOMP_RET_ERRNO | errno},
                {RETURN, 0, 0, SECCOMP_RET_ALLOW},
        });
    }

    private static void install(int[][] program) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment filter = arena.allocate(8L * program.length, 8); // struct sock_filter: u16, u8, u8, u32
            for (int i = 0; i < program.length; i++) {
                filter.set(JAVA_SHORT, 8L * i, (short) program[i][0]);
                filter.set(JAVA_BYTE, 8L * i + 2, (byte) program[i][1]);
                filter.set(JAVA_BYTE, 8L * i + 3, (byte) program[i][2]);
                filter.set(JAVA_INT, 8L * i + 4, program[i][3]);
            }
            MemorySegment fprog = arena.allocate(16, 8); // struct sock_fprog: u16 len, pointer
            fprog.set(JAVA_SHORT, 0, (short) program.length);
            fprog.set(ADDRESS, 8, filter);
            check((int) PRCTL.invokeExact(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L), "PR_SET_NO_NEW_PRIVS");
            check((int) PRCTL.invokeExact(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, fprog.address(), 0L, 0L), "PR_SET_SECCOMP");
        } catch (Throwable t) {
            throw t instanceof RuntimeException e ? e : new IllegalStateException(t);
        }
    }

    private static void check(int result, String what) {
        if (result != 0) {
            throw new IllegalStateException(what + " failed");
        }
    }
}
