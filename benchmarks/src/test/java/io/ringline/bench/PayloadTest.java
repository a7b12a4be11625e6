package io.ringline.bench;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Beyond Payload.MAX_BYTES connections share patterns round-robin: connections c and c + patterns use the same one.
 * Their requests of the same number are read at offsets that differ by patterns mod SHIFTS. When the number of
 * patterns is a multiple of SHIFTS (251) that is zero: the two send identical bytes forever, and an echo crossed
 * between them would verify (see CrossedEchoTest): so the number of patterns is never a multiple of SHIFTS. Lengths of 266,500 bytes (251 patterns) with 252+ connections, or 133,300
 * bytes (502 patterns) with 503+, hit it.
 */
class PayloadTest {
    @ParameterizedTest(name = "length {0}")
    @ValueSource(ints = {266_500, 133_300})
    void connectionsSharingAPatternNeverSendTheSameBytes(int length) {
        int patterns = (int) (Payload.MAX_BYTES / (length + Payload.SHIFTS));
        int connections = patterns + 1; // connection 0 and connection `patterns` share pattern 0
        Payload payload = new Payload(length, connections);
        byte[] bytes = payload.bytes();
        int a = 0;
        int b = patterns;
        int identical = 0;
        // Compare the requests the two make at the same moment: every connection counts its requests from 0.
        for (long request = 0; request < 2 * Payload.SHIFTS; request++) {
            int offsetA = payload.offset(a, request);
            int offsetB = payload.offset(b, request);
            if (Arrays.mismatch(bytes, offsetA, offsetA + length, bytes, offsetB, offsetB + length) == -1) {
                identical++;
            }
        }
        assertThat(identical).as("requests of connections %d and %d (of %d, %d patterns) that are byte for byte "
                + "the same, so a crossed echo between them verifies", a, b, connections, patterns).isZero();
    }
}
