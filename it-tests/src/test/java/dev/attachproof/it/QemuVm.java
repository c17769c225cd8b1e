package dev.attachproof.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One boot of a kernel and initramfs under qemu's software emulation (TCG: no /dev/kvm needed),
 * its serial console written to a file and returned as text. The machine ends itself (the init
 * powers off; a kernel panic reboots, which -no-reboot turns into an exit); a machine that has
 * not ended within the bound is killed.
 */
final class QemuVm {
    private QemuVm() {}

    record Boot(String console, Duration elapsed) {
        private static final ObjectMapper JSON = new ObjectMapper();

        /** The init's results: each console line that holds {@code prefix}, the JSON object after it. */
        List<JsonNode> results(String prefix) throws IOException {
            List<JsonNode> results = new ArrayList<>();
            for (String line : console.lines().toList()) {
                int at = line.indexOf(prefix);
                if (at >= 0) {
                    results.add(JSON.readTree(line.substring(at + prefix.length()).strip()));
                }
            }
            return results;
        }
    }

    /**
     * Boots {@code kernel} with {@code initramfs} on {@code arch}'s machine. The kernel writes to
     * the serial console, says little (quiet), and on a panic ends at once (panic=-1 reboots,
     * which -no-reboot turns into qemu's exit).
     */
    static Boot boot(GuestArch arch, Path kernel, Path initramfs, Duration bound, Path consoleLog)
            throws IOException, InterruptedException {
        // Two vCPUs: the JVM compiles and collects on threads of its own. No network card: nothing
        // needs one, and its boot ROM costs half a second.
        List<String> argv = new ArrayList<>(List.of(arch.qemu));
        argv.addAll(arch.machine);
        argv.addAll(List.of("-accel", "tcg", "-m", Integer.toString(arch.memoryMiB), "-smp", "2", "-nographic", "-no-reboot",
                "-net", "none", "-kernel", kernel.toString(), "-initrd", initramfs.toString(),
                "-append", "console=" + arch.console + " panic=-1 quiet"));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(consoleLog.toFile());
        long start = System.nanoTime();
        Process qemu;
        try {
            qemu = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException(arch.qemu + " cannot be run (" + e.getMessage() + "): apt-get install --no-install-recommends "
                    + arch.qemuPackage, e);
        }
        try {
            if (!qemu.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("the VM had not powered off after " + bound + "; its console ("
                        + consoleLog + ") ends with:\n" + tail(consoleLog));
            }
        } finally {
            qemu.destroyForcibly().waitFor();
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        if (qemu.exitValue() != 0) {
            throw new IllegalStateException(arch.qemu + " exited with " + qemu.exitValue() + ":\n" + tail(consoleLog));
        }
        return new Boot(text(consoleLog), elapsed);
    }

    private static String tail(Path log) throws IOException {
        String text = text(log);
        return text.substring(Math.max(0, text.length() - 4000));
    }

    /** Decoded leniently: the firmware and the terminal codes qemu prints need not be UTF-8. */
    private static String text(Path log) throws IOException {
        return new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
    }
}
