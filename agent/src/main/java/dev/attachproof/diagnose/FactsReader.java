package dev.attachproof.diagnose;

import dev.attachproof.dwarf.Dwarf;
import dev.attachproof.elf.ElfFile;
import dev.attachproof.elf.ElfFormatException;
import dev.attachproof.buildinfo.GoBuildInfo;
import dev.attachproof.buildinfo.GoExecutable;
import dev.attachproof.linux.CallResult;
import dev.attachproof.linux.Linux;
import dev.attachproof.linux.NativeBuffers;
import dev.attachproof.procfs.FileRead;
import dev.attachproof.procfs.ProcFs;
import dev.attachproof.procfs.ProcStat;
import dev.attachproof.procfs.ProcStatus;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Gathers facts from a {@link ProcFs}; with a {@link Linux} binding, also runs the seccomp probes
 * (without one, on a recorded tree, it uses the probes recorded with the tree, if any).
 */
public final class FactsReader {
    /** The runtime variables the proof finds by symbol (the goroutine list is found by GoroutineList, stripped or not). */
    public static final List<String> PROOF_SYMBOLS = List.of(dev.attachproof.golang.BuildVersion.SYMBOL);

    private final ProcFs procfs;
    private final Linux linux;

    /** {@code linux} may be null: then no probe is made (recorded trees). */
    public FactsReader(ProcFs procfs, Linux linux) {
        this.procfs = procfs;
        this.linux = linux;
    }

    public ProcFs procfs() {
        return procfs;
    }

    public TracerFacts tracer() {
        int self = procfs.selfPid();
        return tracer(procfs.status(self)
                .orElseThrow(() -> new IllegalStateException("cannot read /proc/" + self + "/status: is /proc mounted?")));
    }

    /**
     * This process as a tracer, with the credentials of its thread {@code tid} (which need not be
     * the others': capset and the raw setresuid change one thread), for a thread that restricted
     * itself before it calls ptrace. The seccomp probes run on the calling thread.
     */
    public TracerFacts tracer(int tid) {
        int self = procfs.selfPid();
        return tracer(procfs.taskStatus(self, tid)
                .orElseThrow(() -> new IllegalStateException("cannot read /proc/" + self + "/task/" + tid + "/status")));
    }

    private TracerFacts tracer(ProcStatus status) {
        int self = procfs.selfPid();
        return new TracerFacts(self, status, procfs.yamaPtraceScope(), procfs.lsmList(), procfs.securityLabel(self),
                text(procfs.namespace(self, "pid")), text(procfs.namespace(self, "user")),
                text(procfs.namespace(self, "mnt")),
                linux == null ? recordedProbe("ptrace") : probePtrace(),
                linux == null ? recordedProbe("process_vm_readv") : probeProcessVmReadv(),
                new LsmSwitches(procfs.appArmorEnabled(), procfs.selinuxEnforce(), procfs.selinuxBoolean("deny_ptrace")));
    }

    /**
     * A probe made when the tree was recorded, under the recorder's seccomp filter (probes.txt
     * beside proc/, "ptrace=ESRCH" and "process_vm_readv=ok"); null when the tree has none.
     */
    private SyscallProbe recordedProbe(String syscall) {
        String call = syscall.equals("ptrace") ? "ptrace(PTRACE_GETSIGINFO, self)" : "process_vm_readv(self, 8 bytes)";
        String expected = syscall.equals("ptrace") ? "ESRCH" : "ok";
        return procfs.read("probes.txt").asText()
                .flatMap(t -> t.lines().filter(l -> l.startsWith(syscall + "=")).findFirst())
                .map(l -> new SyscallProbe(call + ", recorded", expected, l.substring(syscall.length() + 1).strip()))
                .orElse(null);
    }

    /** The target's facts; empty when /proc/PID does not exist (or vanished while we read). */
    public Optional<TargetFacts> target(int pid, int tracerPid) {
        Optional<ProcStatus> status = procfs.status(pid);
        if (status.isEmpty()) {
            return Optional.empty();
        }
        ProcStatus st = status.get();
        Optional<TargetFacts.Tracing> tracer = st.tracerPid() == 0 ? Optional.empty() : Optional.of(tracing(st.tracerPid()));
        return Optional.of(new TargetFacts(pid, st, procfs.stat(pid), procfs.owner(pid), procfs.securityLabel(pid),
                procfs.namespace(pid, "pid"), procfs.namespace(pid, "user"), procfs.namespace(pid, "mnt"),
                tracer, descends(pid, tracerPid), binary(pid)));
    }

    private TargetFacts.Tracing tracing(int tracerThread) {
        Optional<ProcStatus> st = procfs.status(tracerThread);
        int process = st.map(ProcStatus::tgid).orElse(tracerThread);
        String name = procfs.comm(process).orElse("unknown");
        return new TargetFacts.Tracing(tracerThread, process, name);
    }

    /** Yama's task_is_descendant: is {@code ancestor} on the target's chain of parents? */
    private boolean descends(int pid, int ancestor) {
        int p = pid;
        for (int depth = 0; depth < 4096 && p > 1; depth++) {
            Optional<ProcStat> st = procfs.stat(p);
            if (st.isEmpty()) {
                return false;
            }
            p = st.get().ppid();
            if (p == ancestor) {
                return true;
            }
        }
        return false;
    }

    /** Reads the target's executable through /proc/PID/exe. */
    public BinaryFacts binary(int pid) {
        FileRead link = procfs.readLink("proc/" + pid + "/exe");
        String linkText = link.asText().orElse("");
        if (!procfs.isLive() && link instanceof FileRead.Missing) {
            return BinaryFacts.unreadable(linkText, "not recorded");   // the recorder could not read it either
        }
        if (!(link instanceof FileRead.Content)) {
            return BinaryFacts.unreadable(linkText, link instanceof FileRead.Unreadable u ? u.reason() : "ENOENT");
        }
        if (!procfs.isLive()) {
            // A recorded tree keeps the link's text only: the path it names is another machine's.
            return BinaryFacts.unreadable(linkText, "not recorded");
        }
        Path exe = procfs.pidDir(pid).resolve("exe");
        GoExecutable opened;
        try {
            opened = GoExecutable.open(exe);   // the reader compat and goroutines use: one cause, one message
        } catch (AccessDeniedException e) {
            return BinaryFacts.unreadable(linkText, "EACCES");
        } catch (NoSuchFileException e) {
            return BinaryFacts.unreadable(linkText, "ENOENT");
        } catch (IOException e) {
            return BinaryFacts.unreadable(linkText, e.getMessage());
        }
        ElfFile elf;
        Optional<GoBuildInfo> info;
        switch (opened) {
            case GoExecutable.Damaged d -> {
                return BinaryFacts.unread(linkText, pathState(exe, linkText, pid), new BinaryFacts.Format(d.reason(), null, null));
            }
            case GoExecutable.Unsupported u -> {
                return BinaryFacts.unread(linkText, pathState(exe, linkText, pid), new BinaryFacts.Format(null, u.cause(), null));
            }
            case GoExecutable.NotGo n -> {
                elf = n.elf();
                info = Optional.empty();
            }
            case GoExecutable.Go g -> {
                elf = g.elf();
                info = Optional.of(g.info());
            }
        }
        Map<String, Long> symbols;
        try {
            symbols = info.isPresent() ? toAddresses(elf.symbols(PROOF_SYMBOLS)) : Map.of();
        } catch (ElfFormatException e) {
            return BinaryFacts.unread(linkText, pathState(exe, linkText, pid), new BinaryFacts.Format(e.getMessage(), null, null));
        }
        // A DWARF that does not read leaves the executable readable and its build info true: it
        // is reported as what it is (target.debuginfo), not as an executable we cannot read.
        int dwarfVersion = 0;
        String dwarfDamage = null;
        try {
            dwarfVersion = Dwarf.version(elf);
        } catch (ElfFormatException e) {
            dwarfDamage = e.getMessage();
        }
        return new BinaryFacts(linkText, null, pathState(exe, linkText, pid), elf.arch(), elf.type(), info,
                elf.hasDwarf(), dwarfVersion, elf.section(".symtab").isPresent(), symbols, loadBias(elf, pid, linkText),
                new BinaryFacts.Format(null, null, dwarfDamage));
    }

    private static Map<String, Long> toAddresses(Map<String, ElfFile.Symbol> symbols) {
        return symbols.entrySet().stream()
                .collect(java.util.stream.Collectors.toUnmodifiableMap(Map.Entry::getKey, e -> e.getValue().value()));
    }

    /** For a PIE (ET_DYN), where it was loaded relative to its link-time addresses. */
    private long loadBias(ElfFile elf, int pid, String linkText) {
        return elf.type() != ElfFile.ET_DYN ? 0 : dev.attachproof.golang.LoadBias.of(elf, procfs.maps(pid), linkText);
    }

    /**
     * What the executable's path names now, compared by inode with the file the process runs.
     * The kernel writes the link's text with d_path (fs/proc/base.c, proc_pid_readlink): from our
     * root when the file is reachable from it, else from the root of the target's mount namespace,
     * as in a container whose entrypoint is /srv. So in another mount namespace the path is looked
     * up under /proc/PID/root (the target's root, open to whoever may ptrace-read it), in ours
     * under / (where /proc/PID/root would differ only for a chrooted target, whose d_path is ours).
     * Both are reported: a tool run here that opens the path gets {@code here}.
     */
    private ExePath pathState(Path exe, String linkText, int pid) {
        if (linkText.endsWith(" (deleted)")) {
            return ExePath.DELETED;
        }
        if (!procfs.isLive() || !linkText.startsWith("/")) {
            return ExePath.UNKNOWN;
        }
        Object running;
        try {
            running = List.of(Files.getAttribute(exe, "unix:ino"), Files.getAttribute(exe, "unix:dev"));
        } catch (IOException | UnsupportedOperationException e) {
            return ExePath.UNKNOWN;
        }
        String here = compare(running, Path.of(linkText));
        String ours = text(procfs.namespace(procfs.selfPid(), "mnt"));
        String theirs = text(procfs.namespace(pid, "mnt"));
        if (!ours.isEmpty() && ours.equals(theirs)) {
            return new ExePath(here, "/", here);
        }
        if (theirs.isEmpty()) {
            return new ExePath("unknown", null, here);   // its namespace is hidden from us: so is its root
        }
        String root = "/proc/" + pid + "/root";
        return new ExePath(compare(running, procfs.pidDir(pid).resolve("root").resolve(linkText.substring(1))), root, here);
    }

    /** "same", "replaced", "missing" or "unknown": {@code path} against the running file's inode and device. */
    private static String compare(Object running, Path path) {
        try {
            return running.equals(List.of(Files.getAttribute(path, "unix:ino"), Files.getAttribute(path, "unix:dev")))
                    ? "same" : "replaced";
        } catch (NoSuchFileException e) {
            return "missing";
        } catch (IOException | UnsupportedOperationException e) {
            return "unknown";
        }
    }

    /** PTRACE_GETSIGINFO on ourselves, whom we do not trace: the kernel answers ESRCH. */
    private SyscallProbe probePtrace() {
        CallResult<?> r = linux.ptraceGetSiginfo(linux.getpid());
        return new SyscallProbe("ptrace(PTRACE_GETSIGINFO, self)", "ESRCH", outcome(r));
    }

    /** process_vm_readv of 8 bytes of our own memory: allowed to anyone, unless filtered. */
    private SyscallProbe probeProcessVmReadv() {
        ByteBuffer src = ByteBuffer.allocateDirect(8).putLong(0, 0x6174746163687072L);
        ByteBuffer dst = ByteBuffer.allocateDirect(8);
        CallResult<?> r = linux.processVmReadv(linux.getpid(), NativeBuffers.address(src), dst);
        return new SyscallProbe("process_vm_readv(self, 8 bytes)", "ok", outcome(r));
    }

    private static String outcome(CallResult<?> r) {
        return r.ok() ? "ok" : r.errno().name();
    }

    private static String text(FileRead r) {
        return r.asText().orElse("");
    }
}
