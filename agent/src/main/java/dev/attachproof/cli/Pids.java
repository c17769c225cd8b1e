package dev.attachproof.cli;

import dev.attachproof.procfs.ProcFs;
import dev.attachproof.service.PidArgument;
import dev.attachproof.service.UserText;

/**
 * Reads a pid argument as the sidecar reads {@code ?pid=} ({@link PidArgument}): ASCII digits, or
 * one clear line why not; a thread id stands for its process, with a note on standard error.
 */
final class Pids {
    private Pids() {}

    static int parse(String text) {
        int pid = PidArgument.parse(text).orElseThrow(() -> new BadInputException(UserText.quote(text)
                + " is not a pid: give a process id, a positive number in ASCII digits (see `attachproof ps`)"));
        PidArgument.Target target = PidArgument.resolve(ProcFs.live(), pid);
        if (target.note() != null) {
            System.err.println("attachproof: " + target.note());
        }
        return target.pid();
    }
}
