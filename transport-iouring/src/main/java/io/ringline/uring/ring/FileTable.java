package io.ringline.uring.ring;

import java.io.IOException;

/**
 * A ring's table of fixed files ("direct descriptors", io_uring_register(2) IORING_REGISTER_FILES2): sockets the
 * ring holds by index, so an operation flagged IOSQE_FIXED_FILE skips the per-operation fd lookup and reference
 * count (fget/fput) a plain fd costs. The table starts empty (sparse) and hands out indexes as sockets are
 * {@linkplain #install installed}; when it is full, callers keep using the plain fd.
 *
 * <p>The table holds its own reference to each file: closing the fd alone does not close the socket (no FIN goes
 * out) while it is installed, so {@link #remove} must come with the close.
 *
 * <p>Not thread-safe: the ring's thread owns it.
 */
public final class FileTable {
    private final Ring ring;
    private final int[] freeIndexes;
    private final boolean[] installed;
    private int freeCount;

    private FileTable(Ring ring, int size) {
        this.ring = ring;
        this.freeIndexes = new int[size];
        this.installed = new boolean[size];
        for (int i = 0; i < size; i++) {
            freeIndexes[i] = size - 1 - i; // lowest index first
        }
        this.freeCount = size;
    }

    /**
     * Registers an empty table of {@code size} entries with {@code ring}.
     *
     * @throws IOException when the kernel refuses: EMFILE for more entries than RLIMIT_NOFILE, EINVAL before 5.19
     *                     (no sparse tables), EBUSY when the ring already has one
     */
    public static FileTable register(Ring ring, int size) throws IOException {
        if (size < 1) {
            throw new IllegalArgumentException("a file table needs at least one entry: " + size);
        }
        ring.registerFileTable(size);
        return new FileTable(ring, size);
    }

    /** Entries in the table. */
    public int size() {
        return freeIndexes.length;
    }

    /** Entries holding a file. */
    public int inUse() {
        return freeIndexes.length - freeCount;
    }

    /**
     * Installs {@code fd} and returns its index (for IOSQE_FIXED_FILE operations), or -1 when every entry is taken.
     *
     * @throws IOException when the kernel refuses the update (e.g. EBADF for a closed fd)
     */
    public int install(int fd) throws IOException {
        if (freeCount == 0) {
            return -1;
        }
        int index = freeIndexes[freeCount - 1];
        ring.updateFile(index, fd);
        freeCount--;
        installed[index] = true;
        return index;
    }

    /** Empties entry {@code index}, dropping the table's reference to its file; operations in flight keep theirs. */
    public void remove(int index) throws IOException {
        if (index < 0 || index >= installed.length || !installed[index]) {
            throw new IllegalArgumentException("no file installed at fixed file index " + index);
        }
        installed[index] = false; // free even if the kernel refuses: a later install replaces what the entry holds
        freeIndexes[freeCount++] = index;
        ring.updateFile(index, -1);
    }
}
