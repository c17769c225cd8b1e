package dev.attachproof.service;

import dev.attachproof.procfs.ProcFs;
import dev.attachproof.procfs.ProcStatus;

import java.util.OptionalInt;

/**
 * A pid as a user gives it, on the command line or in {@code ?pid=}: read and resolved in this
 * one place, so both front ends take the same pids and say the same about them.
 */
public final class PidArgument {
    /** A pid resolved to the process to work on; {@code note} says why it differs from the pid given (null when not). */
    public record Target(int pid, String note) {}

    private PidArgument() {}

    /**
     * A positive decimal number in ASCII digits and nothing else. Integer.parseInt alone would
     * take Arabic-Indic or full-width digits (Character.digit knows every script's), a sign, and,
     * after a strip, tabs and line breaks: a pid that reaches a log or a message looking like
     * something else, or a typo taken for a pid.
     */
    public static OptionalInt parse(String text) {
        if (text == null || text.isEmpty() || text.length() > 10 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return OptionalInt.empty();
        }
        long pid = Long.parseLong(text);
        return pid > 0 && pid <= Integer.MAX_VALUE ? OptionalInt.of((int) pid) : OptionalInt.empty();
    }

    /**
     * The process {@code pid} names. A thread id is one: /proc/TID exists for every thread of a
     * visible process, though readdir of /proc lists only thread-group leaders (fs/proc/base.c,
     * proc_pid_lookup takes any tid), and its status names the process as Tgid. Diagnosing the
     * thread's directory as if it were a process would report on the process under the wrong pid;
     * the process is what ptrace seizes and what a debugger attaches to.
     */
    public static Target resolve(ProcFs procfs, int pid) {
        int tgid = procfs.status(pid).map(ProcStatus::tgid).orElse(pid);
        if (tgid > 0 && tgid != pid) {
            return new Target(tgid, "pid " + pid + " is thread " + pid + " of process " + tgid + "; diagnosing " + tgid);
        }
        return new Target(pid, null);
    }
}
