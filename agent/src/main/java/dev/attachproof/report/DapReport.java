package dev.attachproof.report;

import dev.attachproof.delve.DapAttach;
import dev.attachproof.delve.DelveBinary;
import dev.attachproof.diagnose.Finding;

import java.util.List;

/**
 * What {@code dap} found: the Delve used and where it was found, the DAP session's steps and the
 * goroutines it listed, and the doctor's failing checks, which explain a failed attach.
 */
public record DapReport(int pid, DelveBinary dlv, String foundIn, DapAttach.Outcome outcome, List<Finding> failingChecks) {
    public DapReport {
        failingChecks = List.copyOf(failingChecks);
    }
}
