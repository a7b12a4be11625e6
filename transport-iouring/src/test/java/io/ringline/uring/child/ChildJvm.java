package io.ringline.uring.child;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class of the test classpath in a child JVM, optionally as an unprivileged user under a locked-memory
 * limit: for the checks that change the whole process (io_uring sysctls, rlimits) or need a user without
 * CAP_IPC_LOCK.
 */
public final class ChildJvm {
    /** The unprivileged account the tests create (needs root) to run children under real limits. */
    public static final String USER = "ringline-test";

    private ChildJvm() { }

    public record Result(int exitCode, String output) { }

    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Creates {@link #USER} if missing. */
    public static void ensureUser() throws IOException, InterruptedException {
        if (new ProcessBuilder("id", USER).start().waitFor() != 0) {
            Process add = new ProcessBuilder("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", USER)
                    .redirectErrorStream(true).start();
            String output = new String(add.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (add.waitFor() != 0 && new ProcessBuilder("id", USER).start().waitFor() != 0) {
                throw new IOException("useradd " + USER + " failed: " + output);
            }
        }
    }

    /**
     * Runs {@code mainClass} with {@code args}; with {@code memlockKiB >= 0} as {@link #USER} under
     * {@code ulimit -l memlockKiB}, from a world-readable copy of the classpath.
     */
    public static Result run(Class<?> mainClass, int memlockKiB, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = memlockKiB >= 0 ? readableClasspath() : System.getProperty("java.class.path");
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-Dio.netty.leakDetection.level=PARANOID", "-cp", classpath, mainClass.getName()));
        command.addAll(List.of(args));
        if (memlockKiB >= 0) {
            String quoted = String.join(" ", command.stream().map(a -> "'" + a + "'").toList());
            command = List.of("setpriv", "--reuid=" + USER, "--regid=" + USER, "--clear-groups", "bash", "-c",
                    "ulimit -l " + memlockKiB + " && exec " + quoted);
        }
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("child JVM did not finish in 60 s: " + command);
        }
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }

    /** Copies the classpath where another user can read it (root's ~/.m2 is private). */
    private static String readableClasspath() throws IOException {
        Path dir = Files.createTempDirectory("ringline-cp", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        List<String> entries = new ArrayList<>();
        int index = 0;
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path source = Path.of(entry);
            if (!Files.exists(source)) {
                continue;
            }
            Path target = dir.resolve(index++ + "-" + source.getFileName());
            if (Files.isDirectory(source)) {
                try (var files = Files.walk(source)) {
                    for (Path file : (Iterable<Path>) files::iterator) {
                        Path copy = target.resolve(source.relativize(file).toString());
                        if (Files.isDirectory(file)) {
                            Files.createDirectories(copy);
                        } else {
                            Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
            } else {
                Files.copy(source, target);
            }
            entries.add(target.toString());
        }
        try (var files = Files.walk(dir)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(
                        Files.isDirectory(file) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        return String.join(java.io.File.pathSeparator, entries);
    }
}
