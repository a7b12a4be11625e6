package io.ringline.bench;

import java.nio.ByteBuffer;

/**
 * The bytes the load client sends: pseudo-random patterns, read at a shifting offset. Consecutive requests on a
 * connection therefore differ, so a stale or reordered echo fails verification (however late it is: see
 * {@link #offset(int, long)}), yet no byte is written per request.
 * Every connection has a pattern of its own (up to {@link #MAX_BYTES} of them; beyond, connections share them
 * round-robin), so an echo delivered to another connection fails too, even when the two happen to be at the same
 * offset: with one shared pattern, connections {@code i} and {@code i + SHIFTS} would start at the same offset and,
 * crossed, advance in lock step, every crossed echo matching.
 */
final class Payload {
    /** Number of distinct offsets. Prime, so it does not line up with typical connection counts. */
    static final int SHIFTS = 251;
    /** Bound on the memory of all patterns together. */
    static final long MAX_BYTES = 64L << 20;

    private final int length;
    private final int patterns;
    private final byte[] bytes;
    private final ByteBuffer direct;

    /** Patterns for {@code connections} connections: one each, as far as {@link #MAX_BYTES} allows. */
    Payload(int length, int connections) {
        if (length < 1) {
            throw new IllegalArgumentException("length must be at least 1, got " + length);
        }
        this.length = length;
        int patterns = (int) Math.max(1, Math.min(connections, MAX_BYTES / (length + SHIFTS)));
        if (patterns < connections && patterns % SHIFTS == 0) {
            // Connections c and c + patterns share a pattern and would read it at the same offset, in lock step.
            // One pattern fewer puts them at different offsets (SHIFTS is prime).
            patterns--;
        }
        this.patterns = patterns;
        this.bytes = new byte[Math.multiplyExact(length + SHIFTS, patterns)];
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

    /**
     * Where request number {@code sequence} (counted from 0) of connection {@code connection} starts in
     * {@link #bytes()}. Inside the connection's pattern the offset steps by one per request through runs of
     * {@link #SHIFTS} requests, so requests of one run differ; each run starts from a scrambled point, so offsets never
     * repeat with a fixed period and an echo a whole number of runs late (or any number of requests late) matches
     * only by chance, one time in {@code SHIFTS}. Connections sharing a pattern are {@code patterns} apart, never a
     * multiple of {@code SHIFTS}, so their requests of the same number always differ.
     */
    int offset(int connection, long sequence) {
        long run = Math.floorDiv(sequence, SHIFTS);
        // Fibonacci hashing: the top bits of run * 2^64 / golden ratio spread consecutive runs over the offsets.
        long start = (run * 0x9E3779B97F4A7C15L) >>> 40;
        int shift = (int) Math.floorMod(connection + start + sequence, (long) SHIFTS);
        return (connection % patterns) * (length + SHIFTS) + shift;
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
