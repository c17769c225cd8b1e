package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// resultPrefix starts every line the test reads from the console; the rest of the line is one
// JSON object with an "event" field: boot, run, error or done.
const resultPrefix = "ATTACHPROOF-YAMA "

// doctorTimeout bounds one doctor run (JVM start included) under emulation.
const doctorTimeout = 120 * time.Second

const scopeFile = "/proc/sys/kernel/yama/ptrace_scope"

// tracer is one way of placing the doctor relative to the target: cases a to d of YamaKernelTest.Tracer.
type tracer struct {
	name string
	run  func() (run, error)
}

var tracers = []tracer{
	{"a", rootNotAncestor},
	{"b", userNotAncestor},
	{"c", userAncestor},
	{"d", userNamedByTarget},
}

// run is what one doctor run printed, and how it ended.
type run struct {
	Event     string          `json:"event"`
	Scope     int             `json:"scope"`
	Case      string          `json:"case"`
	TracerUID int             `json:"tracerUid"`
	TracerPID int             `json:"tracerPid"`
	TargetPID int             `json:"targetPid"`
	Exit      int             `json:"exit"`
	Millis    int64           `json:"millis"`
	Doctor    json.RawMessage `json:"doctor"`
	Stdout    string          `json:"stdout,omitempty"` // only when it was not one JSON document
	Stderr    string          `json:"stderr"`
}

// runMatrix is pid 1's whole life. Scope 3 cannot be lowered again, so the scopes go up.
func runMatrix() {
	defer powerOff()
	defer func() {
		if r := recover(); r != nil {
			emit(map[string]any{"event": "error", "message": fmt.Sprint("init panicked: ", r)})
		}
	}()
	if err := mountAll(); err != nil {
		emit(map[string]any{"event": "error", "message": err.Error()})
		return
	}
	emit(map[string]any{"event": "boot", "uptimeMillis": uptimeMillis(),
		"kernel": readTrimmed("/proc/sys/kernel/osrelease"), "lsm": readTrimmed("/sys/kernel/security/lsm")})
	for scope := 0; scope <= 3; scope++ {
		if err := setScope(scope); err != nil {
			emit(map[string]any{"event": "error", "scope": scope, "message": err.Error()})
			return
		}
		for _, t := range tracers {
			r, err := t.run()
			if err != nil {
				emit(map[string]any{"event": "error", "scope": scope, "case": t.name, "message": err.Error()})
			} else {
				r.Event, r.Scope, r.Case = "run", scope, t.name
				emit(r)
			}
			reapOrphans()
		}
		if scope == 0 {
			emitMatrix()
		}
	}
	emit(map[string]any{"event": "done", "uptimeMillis": uptimeMillis()})
}

// emitMatrix runs `attachproof matrix PID --json --allow-yama-change` as root against a uid-1000
// target while the scope is 0: the matrix itself sets scopes 1 and 2 for its Yama probes and
// must write 0 back. The event carries the matrix's document and the scope read afterwards.
func emitMatrix() {
	t, err := startTarget()
	if err != nil {
		emit(map[string]any{"event": "error", "case": "matrix", "message": err.Error()})
		return
	}
	defer t.stop()
	argv := doctorArgv(t.pid)
	argv = append(argv[:len(argv)-3], "matrix", strconv.Itoa(t.pid), "--json", "--allow-yama-change")
	cmd := exec.Command(argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	begin := time.Now()
	timer := time.AfterFunc(10*doctorTimeout, func() { cmd.Process.Kill() })
	err = cmd.Run()
	timer.Stop()
	event := map[string]any{"event": "matrix", "targetPid": t.pid, "exit": cmd.ProcessState.ExitCode(),
		"millis": time.Since(begin).Milliseconds(), "stderr": stderr.String(), "scopeAfter": readTrimmed(scopeFile)}
	if json.Valid(stdout.Bytes()) {
		event["matrix"] = json.RawMessage(stdout.Bytes())
	} else {
		event["stdout"] = stdout.String()
	}
	if err != nil {
		event["runError"] = err.Error()
	}
	emit(event)
	reapOrphans()
}

// rootNotAncestor: root with every capability; the target is the init's child, not the JVM's.
func rootNotAncestor() (run, error) {
	t, err := startTarget()
	if err != nil {
		return run{}, err
	}
	defer t.stop()
	argv := doctorArgv(t.pid)
	return doctor(exec.Command(argv[0], argv[1:]...), 0, t.pid, nil)
}

// userNotAncestor: the target's uid, no capabilities, no relation.
func userNotAncestor() (run, error) {
	t, err := startTarget()
	if err != nil {
		return run{}, err
	}
	defer t.stop()
	argv := doctorArgv(t.pid)
	return doctor(asUser(exec.Command(argv[0], argv[1:]...)), userID, t.pid, nil)
}

// userAncestor: the JVM is the target's grandparent; the helper's first stdout line names the target.
func userAncestor() (run, error) {
	r, err := doctor(asUser(exec.Command(self, modeDoctorOverGrandchild)), userID, 0, nil)
	first, rest, _ := strings.Cut(r.Stdout, "\n")
	pid, perr := strconv.Atoi(strings.TrimPrefix(first, "target="))
	if perr != nil {
		return r, errors.Join(err, fmt.Errorf("the helper named no target (stdout %q, stderr %q)", r.Stdout, r.Stderr))
	}
	syscall.Kill(pid, syscall.SIGKILL) // its parent, the helper's child, then exits and is reaped
	r.TargetPID = pid
	setDoctorOutput(&r, []byte(rest))
	return r, err
}

// userNamedByTarget: the tracer starts first and waits for a pid; the target names the tracer's
// pid with prctl(PR_SET_PTRACER) before its READY line.
func userNamedByTarget() (run, error) {
	pidIn, pidOut, err := os.Pipe()
	if err != nil {
		return run{}, err
	}
	defer pidIn.Close()
	defer pidOut.Close()
	helper := asUser(exec.Command(self, modeExecDoctor))
	helper.Stdin = pidIn
	var named *target
	r, err := doctor(helper, userID, 0, func(tracerPid int) error {
		pidIn.Close() // the helper has its copy: it sees EOF if we fail before writing
		t, err := startTarget("-ptracer", strconv.Itoa(tracerPid))
		if err != nil {
			return err
		}
		named = t
		_, err = fmt.Fprintf(pidOut, "%d\n", t.pid)
		pidOut.Close()
		return err
	})
	if named != nil {
		defer named.stop()
		r.TargetPID = named.pid
	}
	return r, err
}

// doctor runs cmd (the JVM, or a helper that becomes it), calls started (when not nil) with its
// pid before waiting, and collects its output.
func doctor(cmd *exec.Cmd, uid, targetPid int, started func(tracerPid int) error) (run, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Should a descendant of cmd keep its output pipes open, Wait returns this long after cmd's exit.
	cmd.WaitDelay = 10 * time.Second
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		return run{}, err
	}
	if started != nil {
		if err := started(cmd.Process.Pid); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return run{}, err
		}
	}
	timer := time.AfterFunc(doctorTimeout, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	timedOut := !timer.Stop()
	r := run{TracerUID: uid, TracerPID: cmd.Process.Pid, TargetPID: targetPid, Exit: cmd.ProcessState.ExitCode(),
		Millis: time.Since(begin).Milliseconds(), Stderr: stderr.String()}
	setDoctorOutput(&r, stdout.Bytes())
	if timedOut {
		return r, fmt.Errorf("killed after %v (stderr %q)", doctorTimeout, r.Stderr)
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return r, err
	}
	return r, nil
}

// setDoctorOutput keeps stdout as the doctor's document when it is one, verbatim otherwise.
func setDoctorOutput(r *run, stdout []byte) {
	var compact bytes.Buffer
	if json.Valid(stdout) && json.Compact(&compact, stdout) == nil {
		r.Doctor, r.Stdout = compact.Bytes(), ""
	} else {
		r.Doctor, r.Stdout = nil, string(stdout)
	}
}

type target struct {
	cmd *exec.Cmd
	pid int
}

// startTarget starts the Go target as uid 1000, a child of the init, and waits for its READY line.
func startTarget(extra ...string) (*target, error) {
	cmd := asUser(exec.Command(targetBin, targetArgs(extra...)...))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t := &target{cmd: cmd}
	if t.pid, err = awaitReady(out); err != nil {
		t.stop()
		return nil, err
	}
	return t, nil
}

func (t *target) stop() {
	t.cmd.Process.Kill()
	t.cmd.Wait()
}

// asUser runs cmd as uid/gid 1000 with no supplementary groups: setuid from root to a non-zero
// uid clears every capability (capabilities(7)).
func asUser(cmd *exec.Cmd) *exec.Cmd {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: userID, Gid: userID, Groups: []uint32{}}}
	return cmd
}

func setScope(scope int) error {
	if err := os.WriteFile(scopeFile, []byte(strconv.Itoa(scope)+"\n"), 0); err != nil {
		return fmt.Errorf("writing %s: %w", scopeFile, err)
	}
	if got := readTrimmed(scopeFile); got != strconv.Itoa(scope) {
		return fmt.Errorf("%s reads %q after writing %d", scopeFile, got, scope)
	}
	return nil
}

func mountAll() error {
	mounts := []struct{ source, dir, fstype, data string }{
		{"proc", "/proc", "proc", ""},
		{"sys", "/sys", "sysfs", ""},
		{"none", "/sys/kernel/security", "securityfs", ""}, // the lsm check reads the active LSMs there
		{"dev", "/dev", "devtmpfs", ""},
		{"tmp", "/tmp", "tmpfs", "mode=1777"}, // the JVM writes there, as root and as uid 1000
	}
	for _, m := range mounts {
		if err := syscall.Mount(m.source, m.dir, m.fstype, 0, m.data); err != nil {
			return fmt.Errorf("mount %s on %s: %w", m.fstype, m.dir, err)
		}
	}
	return nil
}

// reapOrphans waits for the processes reparented to the init (case c's target parent), which
// no exec.Cmd waits for. Called between runs, when no exec.Cmd is waiting.
func reapOrphans() {
	for {
		pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

func emit(v any) {
	line, err := json.Marshal(v)
	if err != nil {
		line, _ = json.Marshal(map[string]any{"event": "error", "message": "encoding a result: " + err.Error()})
	}
	os.Stdout.Write(append([]byte(resultPrefix+string(line)), '\n'))
}

func uptimeMillis() int64 {
	secs, _, _ := strings.Cut(readTrimmed("/proc/uptime"), " ")
	f, _ := strconv.ParseFloat(secs, 64)
	return int64(f * 1000)
}

func readTrimmed(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	return strings.TrimSpace(string(b))
}

// powerOff ends the VM: qemu exits. Should the call fail, the init returns and the kernel
// panics, which with panic=-1 and -no-reboot also ends qemu.
func powerOff() {
	syscall.Sync()
	if err := syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF); err != nil {
		fmt.Fprintln(os.Stderr, "init: power off:", err)
	}
}
