package io.ringline.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The idle10k measurement against a server that answers only some of its connections. */
class IdleMeasurementTest {

    @Test
    void aRoundWhereSomeConnectionsNeverHadTheirEchoFails(@TempDir Path dir) throws Exception {
        // Stands in for echo-app: listens where it is told, echoes on its first 50 connections and ignores the rest.
        Path server = Files.writeString(dir.resolve("HalfEcho.java"), """
                import java.io.*;
                import java.net.*;

                public class HalfEcho {
                    public static void main(String[] args) throws Exception {
                        int port = 0;
                        for (int i = 0; i < args.length - 1; i++) {
                            if (args[i].equals("--port")) port = Integer.parseInt(args[i + 1]);
                        }
                        ServerSocket listener = new ServerSocket(port, 1024, InetAddress.getLoopbackAddress());
                        System.out.println("listening");
                        System.out.flush();
                        for (int accepted = 1; ; accepted++) {
                            Socket socket = listener.accept();
                            boolean echo = accepted <= 50;
                            Thread thread = new Thread(() -> {
                                try (socket) {
                                    byte[] buffer = new byte[4096];
                                    InputStream in = socket.getInputStream();
                                    OutputStream out = socket.getOutputStream();
                                    for (int n; (n = in.read(buffer)) > 0; ) {
                                        if (echo) out.write(buffer, 0, n);
                                    }
                                } catch (IOException e) {
                                    // the client went away
                                }
                            });
                            thread.setDaemon(true);
                            thread.start();
                        }
                    }
                }
                """);
        Path bin = Files.createDirectories(dir.resolve("jdk/bin"));
        Path realJava = Path.of(System.getProperty("java.home"), "bin", "java");
        Path java = Files.writeString(bin.resolve("java"), "#!/bin/bash\nexec " + realJava + " " + server + " \"$@\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createSymbolicLink(bin.resolve("jcmd"), realJava.resolveSibling("jcmd"));

        Measurer measurer = new Measurer(
                new EchoServerProcess.Launch(java, dir.resolve("unused.jar"), List.of(), false, Duration.ofSeconds(30)),
                new Measurer.Timing(Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(3)),
                ClientMode.EVENTS, null, dir.resolve("logs"), 100);
        Measurement measurement = measurer.measure(Scenario.IDLE10K, ServerTransport.NIO, 1);

        // The first tenth (10) all had their echo; of the other 90, only 40 did.
        assertThat(measurement.ok()).as("%s", measurement).isFalse();
        assertThat(measurement.failure()).startsWith("only 40 of 90 connections had their echo within 3 s (0 errors");
    }
}
