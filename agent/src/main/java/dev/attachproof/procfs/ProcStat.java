package dev.attachproof.procfs;

/**
 * The fields of /proc/PID/stat we use. The command name is in parentheses and may itself hold
 * spaces and parentheses, so fields are counted from the last ')'.
 *
 * @param flags the task's PF_* flags (field 9, task->flags as fs/proc/array.c do_task_stat writes it)
 */
public record ProcStat(int pid, String comm, char state, int ppid, long flags, long startTimeTicks) {
    /** PF_KTHREAD (include/linux/sched.h): the task is a kernel thread. */
    public static final long PF_KTHREAD = 0x00200000L;

    public static ProcStat parse(String text) {
        int open = text.indexOf('(');
        int close = text.lastIndexOf(')');
        if (open < 0 || close < open) {
            throw new IllegalArgumentException("not a /proc/PID/stat line");
        }
        int pid = Integer.parseInt(text.substring(0, open).strip());
        String comm = text.substring(open + 1, close);
        String[] f = text.substring(close + 2).strip().split("\\s+");
        // f[0] is field 3 (state); field 4 ppid; field 9 flags; field 22 starttime.
        return new ProcStat(pid, comm, f[0].charAt(0), Integer.parseInt(f[1]), Long.parseUnsignedLong(f[6]),
                Long.parseLong(f[19]));
    }

    /** Whether the task is a kernel thread: kernel/fork.c copy_process sets PF_KTHREAD on every thread the kernel creates for itself. */
    public boolean kernelThread() {
        return (flags & PF_KTHREAD) != 0;
    }
}
