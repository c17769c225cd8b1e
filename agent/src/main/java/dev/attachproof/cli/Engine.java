package dev.attachproof.cli;

import dev.attachproof.diagnose.Doctor;
import dev.attachproof.diagnose.FactsReader;
import dev.attachproof.linux.Linux;
import dev.attachproof.procfs.ProcFs;
import dev.attachproof.ptrace.StopMode;
import dev.attachproof.ptrace.Tracer;

/** Wires the engine for one command: the live /proc, the system binding, the shared tracer thread. */
final class Engine {
    private Engine() {}

    static FactsReader facts() {
        return new FactsReader(ProcFs.live(), Linux.system());
    }

    static Doctor doctor(FactsReader facts, String dlvPath, StopMode stopMode) {
        return new Doctor(facts, Tracer.shared(), Doctor.standardChecks(dlvPath), stopMode);
    }
}
