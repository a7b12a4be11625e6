package io.ringline.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HeapInfoTest {

    @Test
    void readsG1() {
        String g1 = """
                5178:
                 garbage-first heap   total reserved 6172672K, committed 28672K, used 2913K [0x0000000687400000, 0x0000000800000000)
                  region size 4096K, 0 young (0K), 0 survivors (0K)
                 Metaspace       used 1200K, committed 1344K, reserved 1114112K
                  class space    used 100K, committed 192K, reserved 1048576K
                """;

        assertThat(HeapInfo.parseUsedBytes(g1)).isEqualTo(2913L * 1024);
    }

    @Test
    void addsUpGenerationsOfSerialGc() {
        String serial = """
                 def new generation   total 4928K, used 1000K [0x00000000f0000000, 0x00000000f0550000, 0x00000000f5000000)
                 tenured generation   total 10944K, used 3000K [0x00000000f5000000, 0x00000000f5ab0000, 0x0000000100000000)
                """;

        assertThat(HeapInfo.parseUsedBytes(serial)).isEqualTo(4000L * 1024);
    }

    @Test
    void readsZgcAndShenandoahSpellings() {
        assertThat(HeapInfo.parseUsedBytes(" ZHeap           used 12M, capacity 32M, max capacity 6144M\n"))
                .isEqualTo(12L * 1024 * 1024);
        assertThat(HeapInfo.parseUsedBytes("Shenandoah Heap\n 6291456K max, 20480K soft max, 20480K committed, 4020K used\n"))
                .isEqualTo(4020L * 1024);
    }
}
