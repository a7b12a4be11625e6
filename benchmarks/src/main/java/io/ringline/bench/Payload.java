package io.ringline.bench;

import java.nio.ByteBuffer;

/**
 * The bytes the load client sends: one fixed pseudo-random pattern, read at a shifting offset.
 * Consecutive requests on a connection therefore differ, so a stale or reordered echo fails
 * verification, yet no byte is written per request. Connection {@code i} starts at offset
 * {@code i mod SHIFTS}, so an echo that crosses to another connection usually fails too, but not
 * when the two connections happen to be at the same offset at that moment.
 */
final class Payload {
    /** Number of distinct offsets. Prime, so it does not line up with typical connection counts. */
    static final int SHIFTS = 251;

    private final int length;
    private final byte[] bytes;
    private final ByteBuffer direct;

    Payload(int length) {
        if (length < 1) {
            throw new IllegalArgumentException("length must be at least 1, got " + length);
        }
        this.length = length;
        this.bytes = new byte[length + SHIFTS];
        // xorshift32: cheap, deterministic, and free of short periods that a shifted copy could match.
        int x = 0x9E3779B9;
        for (int i = 0; i < bytes.length; i++) {
            x ^= x << 13;
            x ^= x >>> 17;
            x ^= x << 5;
            bytes[i] = (byte) x;
        }
        // Direct, so channel writes need no copy into a temporary native buffer.
        ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length);
        buffer.put(bytes).flip();
        this.direct = buffer.asReadOnlyBuffer();
    }

    int length() {
        return length;
    }

    /** Where request number {@code sequence} starts inside the pattern. */
    static int offset(long sequence) {
        return (int) Math.floorMod(sequence, (long) SHIFTS);
    }

    /** A private view with its own position and limit; the memory is shared. */
    ByteBuffer newView() {
        return direct.duplicate();
    }

    /** Sets {@code view} to exactly the bytes of the request starting at {@code offset}. */
    ByteBuffer select(ByteBuffer view, int offset) {
        view.clear().position(offset).limit(offset + length);
        return view;
    }

    /** The pattern as an array, for blocking streams; never modify it. */
    byte[] bytes() {
        return bytes;
    }
}
