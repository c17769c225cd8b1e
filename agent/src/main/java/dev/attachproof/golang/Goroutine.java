package dev.attachproof.golang;

/**
 * One goroutine as its {@code runtime.g} reads, the fields a traceback needs (addresses as the
 * target sees them, PIE bias included).
 *
 * @param address    where the g lives in the target
 * @param status     atomicstatus, scan bit included (mask 0x1000 to compare)
 * @param waitReason the words Go prints for its wait reason, "" for none
 * @param waitSince  nanotime() when it blocked, 0 when unknown
 * @param parentId   the creating goroutine's id (Go 1.21+; 0 before, and for goroutine 1)
 * @param lockedM    the m it is locked to (LockOSThread), 0 for none
 * @param m          the m running it, 0 when none is
 * @param labels     g.labels: where its pprof labels are (see {@link Labels}), 0 for none
 */
public record Goroutine(long address, long id, int status, String statusText, String waitReason, long waitSince,
                        long gopc, long startPc, long parentId, long lockedM, long m,
                        long schedPc, long schedSp, long schedLr, long syscallPc, long syscallSp,
                        long stackLo, long stackHi, long labels) {
    public static final int G_RUNNING = 2;
    public static final int G_SYSCALL = 3;
    public static final int G_WAITING = 4;
    public static final int SCAN_BIT = 0x1000;

    /** The status without the scan bit. */
    public int baseStatus() {
        return status & ~SCAN_BIT;
    }
}
