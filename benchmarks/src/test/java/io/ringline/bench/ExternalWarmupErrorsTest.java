package io.ringline.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With --client-cmd the runner runs the external client twice, once for the warm-up and once for the window, and
 * counts only the second run's errors; the in-process client's errors cover warm-up and window (Measurer.measureLoad
 * reports client.stop(...).errors(), the whole run's). A server that breaks echoes during the warm-up thus shows
 * "errors 0" in the report with an external client.
 */
class ExternalWarmupErrorsTest {

    @Test
    void errorsTheExternalClientReportsDuringTheWarmUpAreCounted(@TempDir Path dir) throws Exception {
        // Stands in for echo-app: prints "listening" and waits; the fake client below never connects.
        Path server = Files.writeString(dir.resolve("Idle.java"), """
                public class Idle {
                    public static void main(String[] args) throws Exception {
                        System.out.println("listening");
                        System.out.flush();
                        Thread.sleep(60_000);
                    }
                }
                """);
        Path bin = Files.createDirectories(dir.resolve("jdk/bin"));
        Path realJava = Path.of(System.getProperty("java.home"), "bin", "java");
        Path java = Files.writeString(bin.resolve("java"), "#!/bin/bash\nexec " + realJava + " " + server + " \"$@\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));

        // A client in rust_echo_bench/EchoBench format: the 1 s warm-up run saw 7 broken echoes, the 2 s window none.
        Path client = Files.writeString(dir.resolve("client"), """
                #!/bin/bash
                if [[ $1 == 1 ]]; then errors=7; else errors=0; fi
                printf 'Speed: 100 request/sec, 100 response/sec\\nRequests: 100\\nResponses: 100\\nErrors: %d\\n' "$errors"
                """);
        Files.setPosixFilePermissions(client, PosixFilePermissions.fromString("rwxr-xr-x"));

        Measurer measurer = new Measurer(
                new EchoServerProcess.Launch(java, dir.resolve("unused.jar"), List.of(), false, Duration.ofSeconds(30)),
                new Measurer.Timing(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(3)),
                ClientMode.EVENTS, new ExternalClient(client + " {duration}", false), dir.resolve("logs"), 100);
        Measurement measurement = measurer.measure(Scenario.ORIGINAL, ServerTransport.NIO, 1);

        assertThat(measurement.ok()).as("%s", measurement).isTrue();
        assertThat(measurement.errors()).as("errors of warm-up and window").isEqualTo(7);
    }
}
