package dev.attachproof.procfs;

/**
 * The fields of /proc/PID/stat we use. The command name is in parentheses and may itself hold
 * spaces and parentheses, so fields are counted from the last ')'.
 */
public record ProcStat(int pid, String comm, char state, int ppid, long startTimeTicks) {

    public static ProcStat parse(String text) {
        int open = text.indexOf('(');
        int close = text.lastIndexOf(')');
        if (open < 0 || close < open) {
            throw new IllegalArgumentException("not a /proc/PID/stat line");
        }
        int pid = Integer.parseInt(text.substring(0, open).strip());
        String comm = text.substring(open + 1, close);
        String[] f = text.substring(close + 2).strip().split("\\s+");
        // f[0] is field 3 (state); field 4 ppid; field 22 starttime.
        return new ProcStat(pid, comm, f[0].charAt(0), Integer.parseInt(f[1]), Long.parseLong(f[19]));
    }
}
