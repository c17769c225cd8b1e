package dev.attachproof.report;

import dev.attachproof.diagnose.GoProcess;
import dev.attachproof.diagnose.GoProcessScan;
import dev.attachproof.diagnose.Verdict;

import java.util.List;

/** {@code ps --json}: schema attachproof.ps/v1, written by {@link JsonDocuments} from the records below. */
public final class PsJson {
    private PsJson() {}

    record Document(String schema, List<Process> processes, int uninspected, List<Uninspected> uninspectedProcesses) {}

    /** A visible Go process and the doctor's prediction for it, with the failing checks behind it. */
    record Process(int pid, String name, int uid, String goVersion, String path, Verdict predicted, List<String> causes) {
        static Process of(GoProcess p) {
            return new Process(p.pid(), p.name(), p.uid(), p.goVersion(), p.path(), p.predicted(), p.causes());
        }
    }

    /** A process whose executable the kernel refused, and why (added to v1 beside the "uninspected" count). */
    record Uninspected(int pid, String name, int uid, String errno, List<String> causes, String reason) {
        static Uninspected of(GoProcessScan.Uninspected u) {
            return new Uninspected(u.pid(), u.name(), u.uid(), u.errno(), u.causes(), u.reason());
        }
    }

    public static String write(GoProcessScan.Result scan) {
        return JsonDocuments.write(new Document("attachproof.ps/v1", processes(scan), scan.unreadable(), uninspected(scan)));
    }

    static List<Process> processes(GoProcessScan.Result scan) {
        return scan.processes().stream().map(Process::of).toList();
    }

    static List<Uninspected> uninspected(GoProcessScan.Result scan) {
        return scan.uninspected().stream().map(Uninspected::of).toList();
    }
}
