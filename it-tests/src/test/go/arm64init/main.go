// Command arm64init is /init of the initramfs that Arm64KernelTest boots on Debian's arm64
// kernel under qemu. As pid 1 it runs the agent on arm64 Go targets and prints what happened,
// one JSON line per result, for the host to judge: a bare JVM start (the cost of every other
// result), a doctor run that records the AOT cache the later runs start from, the doctor and its proof under Yama's scope 1 from root and from a uid that Yama
// refuses, the matrix, and for every stacks fixture (a Go release, stripped or not) the agent's
// goroutines text beside the fixture's own runtime.Stack(all), and for each fixture of
// CapturedSnapshotTest's arm64 cases the same with `__capture`, the capture file with it (test
// data the host replays and can commit), and for each waits fixture the objects it created
// beside the agent's goroutines JSON, which names what each goroutine waits on. Then it powers off.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"attachproof.dev/ittests/vminit"
)

// Paths inside the initramfs, as Arm64Initramfs lays it out (the JVM's: vminit).
const (
	self = "/init"
	// targetBin is agent/go/target: parked goroutines, alive until killed.
	targetBin = "/opt/target"
	// stacksDir holds agent/go/stacks built by each release, stripped or not, named by the host.
	stacksDir = "/opt/stacks"
	// captureDir holds the fixtures of CapturedSnapshotTest's arm64 cases (-trimpath builds, which
	// the host rebuilds to replay a capture), named after their capture files.
	captureDir = "/opt/capture"
	// waitsDir holds agent/go/waits (goroutines parked on known objects), named by the host.
	waitsDir = "/opt/waits"
)

// captureTries bounds the __capture runs on one fixture: a capture is kept for a goroutine
// unwound from a running thread's registers (main.spin), and a stop can catch it off its thread.
const captureTries = 3

// jvmTimeout bounds one agent run, JVM start included, under emulation; the matrix starts a
// JVM per setting and gets ten times as long.
const jvmTimeout = 180 * time.Second

// dumpTimeout bounds the wait for each line of a fixture's own dump.
const dumpTimeout = 60 * time.Second

var console = vminit.Console{Prefix: "ATTACHPROOF-ARM64 "}

// modeNice is the helper mode that becomes a program at the lowest priority: a stacks
// fixture's busy goroutine then takes what CPU the agent's JVM leaves, not half of it.
const modeNice = "nice"

// aotCache is the JDK's AOT cache (JEP 483/514), recorded here on the emulated CPU (one recorded
// on the host caches code for the host's CPU features): the classes the agent loads and links,
// which later runs start from. With the fixtures at nice 19 as well, a goroutines run that stops
// early went from 38 s to 6-15 s on a loaded machine, the matrix from 264 s to 142 s.
const aotCache = "/tmp/attachproof.aot"

// jvmOptions are the extra JVM options of every agent run: the AOT cache, once recorded.
var jvmOptions []string

// execNice lowers this thread's priority to 19 (setpriority(2) with PRIO_PROCESS and 0 sets
// the calling thread's; a thread inherits its creator's) and execs argv: the program's every
// thread runs at 19.
func execNice(argv []string) error {
	runtime.LockOSThread()
	if err := syscall.Setpriority(syscall.PRIO_PROCESS, 0, 19); err != nil {
		return err
	}
	return syscall.Exec(argv[0], argv, os.Environ())
}

func main() {
	if os.Getpid() != 1 {
		if len(os.Args) >= 3 && os.Args[1] == modeNice {
			err := execNice(os.Args[2:])
			fmt.Fprintln(os.Stderr, "init nice:", err)
		} else {
			fmt.Fprintln(os.Stderr, "usage: init nice PROGRAM [ARG...] (pid 1 runs the tests)")
		}
		os.Exit(2)
	}
	// The kernel starts the init with no PATH; the matrix looks there for unshare(1).
	os.Setenv("PATH", "/usr/bin")
	console.RunAsInit(func() {
		javaVersion()
		recordAotCache()
		yamaScope1()
		matrix()
		forEveryFixture(stacksDir, "goroutines", false)
		forEveryFixture(captureDir, "capture", true)
		forEveryWaitsFixture()
		console.Emit(map[string]any{"event": "done", "uptimeMillis": vminit.UptimeMillis()})
	})
}

// javaVersion times `java -version`: what any JVM start costs here before the agent's own work.
func javaVersion() {
	r, err := vminit.Run(exec.Command(vminit.JavaBin, "-version"), jvmTimeout, nil)
	event := map[string]any{"event": "jvm", "exit": r.Exit, "millis": r.Millis, "stderr": r.Stderr}
	if err != nil {
		event["runError"] = err.Error()
	}
	console.Emit(event)
}

// recordAotCache runs the doctor once as root on a root target with -XX:AOTCacheOutput: the JVM
// records the classes it loaded and links them into the cache as it exits (a second JVM, which
// it starts itself). A failed recording leaves no cache, and the runs go without.
func recordAotCache() {
	t, err := startTarget(false)
	if err != nil {
		console.Error(err, map[string]any{"case": "aot"})
		return
	}
	defer t.Stop()
	r, err := vminit.Run(agentWith([]string{"-XX:AOTCacheOutput=" + aotCache}, "doctor", strconv.Itoa(t.Pid), "--json"), jvmTimeout, nil)
	event := map[string]any{"event": "aot", "exit": r.Exit, "millis": r.Millis}
	if err != nil {
		event["runError"] = err.Error()
	}
	if info, statErr := os.Stat(aotCache); statErr == nil && info.Size() > 0 {
		jvmOptions = []string{"-XX:AOTCache=" + aotCache, "-Xlog:aot=off", "-Xlog:cds=off"}
		event["bytes"] = info.Size()
	} else {
		event["stdout"], event["stderr"] = string(r.Stdout), r.Stderr
	}
	console.Emit(event)
}

// yamaScope1 runs the doctor under ptrace_scope 1 on a uid-1000 target, the init's child: as
// root with CAP_SYS_PTRACE (Yama allows; the proof attaches) and as uid 1000, not the target's
// ancestor (Yama refuses with EPERM).
func yamaScope1() {
	if err := vminit.SetScope(1); err != nil {
		console.Error(err, map[string]any{"case": "yama"})
		return
	}
	for _, tracer := range []string{"root", "user"} {
		t, err := startTarget(true)
		if err != nil {
			console.Error(err, map[string]any{"case": "yama", "tracer": tracer})
			continue
		}
		cmd := agent("doctor", strconv.Itoa(t.Pid), "--json")
		if tracer == "user" {
			vminit.AsUser(cmd)
		}
		r, err := vminit.Run(cmd, jvmTimeout, nil)
		console.EmitRun(map[string]any{"event": "doctor", "tracer": tracer, "scope": 1, "targetPid": t.Pid}, "doctor", r, err)
		t.Stop()
	}
}

// matrix runs `attachproof matrix PID --json --allow-yama-change` as root on a root target
// while the scope is 0, as MatrixTest does on the host: every setting restricts the probe for
// real; the Yama rows set scopes 1 and 2 and must write 0 back.
func matrix() {
	if err := vminit.SetScope(0); err != nil {
		console.Error(err, map[string]any{"case": "matrix"})
		return
	}
	t, err := startTarget(false)
	if err != nil {
		console.Error(err, map[string]any{"case": "matrix"})
		return
	}
	defer t.Stop()
	r, err := vminit.Run(agent("matrix", strconv.Itoa(t.Pid), "--json", "--allow-yama-change"), 10*jvmTimeout, nil)
	console.EmitRun(map[string]any{"event": "matrix", "targetPid": t.Pid, "scopeAfter": vminit.ReadTrimmed(vminit.ScopeFile)},
		"matrix", r, err)
	vminit.ReapOrphans()
}

// forEveryFixture runs the agent on each fixture in dir in turn (its busy goroutine takes a
// CPU, so one at a time) and has the fixture print its own dump; see snapshot.
func forEveryFixture(dir, event string, capture bool) {
	names, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(names) == 0 {
		console.Error(fmt.Errorf("no fixture in %s (%v)", dir, err), map[string]any{"case": event})
		return
	}
	sort.Strings(names)
	for _, bin := range names {
		if err := snapshot(bin, event, capture); err != nil {
			console.Error(err, map[string]any{"case": event, "fixture": filepath.Base(bin)})
		}
	}
}

// forEveryWaitsFixture runs each waits fixture twice, without and after two collections (-gcs
// 2: then its waiters stand at the stop and keep what was read before it), and prints the
// objects it created (as "objects") with `attachproof goroutines PID --format json --timing`
// (as "json").
func forEveryWaitsFixture() {
	names, err := filepath.Glob(filepath.Join(waitsDir, "*"))
	if err != nil || len(names) == 0 {
		console.Error(fmt.Errorf("no fixture in %s (%v)", waitsDir, err), map[string]any{"case": "waits"})
		return
	}
	sort.Strings(names)
	for _, bin := range names {
		for _, gcs := range []string{"0", "2"} {
			if err := waits(bin, gcs); err != nil {
				console.Error(err, map[string]any{"case": "waits", "fixture": filepath.Base(bin), "gcs": gcs})
			}
		}
	}
}

func waits(bin, gcs string) error {
	objects := filepath.Join("/tmp", filepath.Base(bin)+"-"+gcs+".objects")
	t, err := vminit.StartTarget(exec.Command(self, modeNice, bin, "-objects", objects, "-gcs", gcs))
	if err != nil {
		return err
	}
	defer t.Stop()
	truth, err := os.ReadFile(objects)
	if err != nil {
		return err
	}
	r, runErr := vminit.Run(agent("goroutines", strconv.Itoa(t.Pid), "--format", "json", "--timing"), jvmTimeout, nil)
	console.EmitRun(map[string]any{"event": "waits", "fixture": filepath.Base(bin), "gcs": gcs, "targetPid": t.Pid,
		"objects": string(truth)}, "json", r, runErr)
	return nil
}

// snapshot prints the agent's text (as "stdout") and the fixture's own dump ("gos"): of
// `attachproof goroutines PID`, or when capture of `__capture PID FILE` (the same text), run
// until it catches main.spin running (at most captureTries times, the number printed as
// "tries"), with FILE as "capture" (encoding/json writes a []byte in base64).
func snapshot(bin, event string, capture bool) error {
	t, err := vminit.StartTarget(exec.Command(self, modeNice, bin))
	if err != nil {
		return err
	}
	defer t.Stop()
	args, tries := []string{"goroutines", strconv.Itoa(t.Pid)}, 1
	file := filepath.Join("/tmp", filepath.Base(bin)+".capture.gz")
	if capture {
		args, tries = []string{"__capture", strconv.Itoa(t.Pid), file}, captureTries
	}
	var r vminit.Result
	var runErr error
	try := 0
	for try < tries {
		try++
		r, runErr = vminit.Run(agent(args...), jvmTimeout, nil)
		if runErr != nil || r.Exit != 0 || strings.Contains(string(r.Stdout), "[running]:\nmain.spin") {
			break
		}
	}
	result := map[string]any{"event": event, "fixture": filepath.Base(bin), "targetPid": t.Pid, "tries": try}
	if capture {
		if b, err := os.ReadFile(file); err != nil {
			result["captureError"] = err.Error()
		} else {
			result["capture"] = b
		}
	}
	gos, err := gosOwnDump(t)
	if err != nil {
		result["dumpError"] = err.Error()
	}
	result["gos"] = gos
	console.EmitRun(result, "goroutines", r, runErr)
	return nil
}

// gosOwnDump has the fixture print its runtime.Stack(all) (SIGUSR2) and returns it.
func gosOwnDump(t *vminit.Target) (string, error) {
	if err := syscall.Kill(t.Pid, syscall.SIGUSR2); err != nil {
		return "", err
	}
	var dump strings.Builder
	begun := false
	for {
		line, err := vminit.NextLine(t.Lines, dumpTimeout)
		if err != nil {
			return dump.String(), fmt.Errorf("reading the fixture's dump: %w", err)
		}
		switch {
		case line == "STACKS BEGIN":
			begun = true
		case line == "STACKS END":
			return dump.String(), nil
		case begun:
			dump.WriteString(line + "\n")
		}
	}
}

// startTarget starts agent/go/target with a few parked goroutines, as uid 1000 or as root.
func startTarget(asUser bool) (*vminit.Target, error) {
	cmd := exec.Command(targetBin, "-hold", "forever", "-goroutines", "4")
	if asUser {
		vminit.AsUser(cmd)
	}
	return vminit.StartTarget(cmd)
}

// agent is the agent's command line with the JVM options of the moment.
func agent(args ...string) *exec.Cmd {
	return agentWith(jvmOptions, args...)
}

func agentWith(options []string, args ...string) *exec.Cmd {
	argv := vminit.AgentArgv(options, args...)
	return exec.Command(argv[0], argv[1:]...)
}
