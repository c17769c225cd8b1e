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

	"attachproof.dev/ittests/vminit"
)

// console prints the lines the test reads: events boot, run, matrix, apparmor-loaded, apparmor,
// apparmor-done, error and done.
var console = vminit.Console{Prefix: "ATTACHPROOF-YAMA "}

// doctorTimeout bounds one doctor run (JVM start included) under emulation.
const doctorTimeout = 120 * time.Second

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
	console.RunAsInit(func() {
		for scope := 0; scope <= 3; scope++ {
			if err := vminit.SetScope(scope); err != nil {
				console.Error(err, map[string]any{"scope": scope})
				return
			}
			for _, t := range tracers {
				r, err := t.run()
				if err != nil {
					console.Error(err, map[string]any{"scope": scope, "case": t.name})
				} else {
					r.Event, r.Scope, r.Case = "run", scope, t.name
					console.Emit(r)
				}
				vminit.ReapOrphans()
			}
			if scope == 0 {
				emitMatrix()
				runAppArmor() // at scope 0, where Yama lets any same-uid tracer attach
			}
		}
		console.Emit(map[string]any{"event": "done", "uptimeMillis": vminit.UptimeMillis()})
	})
}

// emitMatrix runs `attachproof matrix PID --json --allow-yama-change` as root against a uid-1000
// target while the scope is 0: the matrix itself sets scopes 1 and 2 for its Yama probes and
// must write 0 back. The event carries the matrix's document and the scope read afterwards.
func emitMatrix() {
	t, err := startTarget()
	if err != nil {
		console.Error(err, map[string]any{"case": "matrix"})
		return
	}
	defer t.Stop()
	argv := vminit.AgentArgv(nil, "matrix", strconv.Itoa(t.Pid), "--json", "--allow-yama-change")
	r, err := vminit.Run(exec.Command(argv[0], argv[1:]...), 10*doctorTimeout, nil)
	console.EmitRun(map[string]any{"event": "matrix", "targetPid": t.Pid, "scopeAfter": vminit.ReadTrimmed(vminit.ScopeFile)},
		"matrix", r, err)
	vminit.ReapOrphans()
}

// rootNotAncestor: root with every capability; the target is the init's child, not the JVM's.
func rootNotAncestor() (run, error) {
	t, err := startTarget()
	if err != nil {
		return run{}, err
	}
	defer t.Stop()
	argv := doctorArgv(t.Pid)
	return doctor(exec.Command(argv[0], argv[1:]...), 0, t.Pid, nil)
}

// userNotAncestor: the target's uid, no capabilities, no relation.
func userNotAncestor() (run, error) {
	t, err := startTarget()
	if err != nil {
		return run{}, err
	}
	defer t.Stop()
	argv := doctorArgv(t.Pid)
	return doctor(vminit.AsUser(exec.Command(argv[0], argv[1:]...)), vminit.UserID, t.Pid, nil)
}

// userAncestor: the JVM is the target's grandparent; the helper's first stdout line names the target.
func userAncestor() (run, error) {
	r, err := doctor(vminit.AsUser(exec.Command(self, modeDoctorOverGrandchild)), vminit.UserID, 0, nil)
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
	helper := vminit.AsUser(exec.Command(self, modeExecDoctor))
	helper.Stdin = pidIn
	var named *vminit.Target
	r, err := doctor(helper, vminit.UserID, 0, func(tracerPid int) error {
		pidIn.Close() // the helper has its copy: it sees EOF if we fail before writing
		t, err := startTarget("-ptracer", strconv.Itoa(tracerPid))
		if err != nil {
			return err
		}
		named = t
		_, err = fmt.Fprintf(pidOut, "%d\n", t.Pid)
		pidOut.Close()
		return err
	})
	if named != nil {
		defer named.Stop()
		r.TargetPID = named.Pid
	}
	return r, err
}

// doctor runs cmd (the JVM, or a helper that becomes it), calls started (when not nil) with its
// pid before waiting, and collects its output.
func doctor(cmd *exec.Cmd, uid, targetPid int, started func(tracerPid int) error) (run, error) {
	res, err := vminit.Run(cmd, doctorTimeout, started)
	r := run{TracerUID: uid, TracerPID: res.Pid, TargetPID: targetPid, Exit: res.Exit, Millis: res.Millis, Stderr: res.Stderr}
	setDoctorOutput(&r, res.Stdout)
	return r, err
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

// startTarget starts the Go target as uid 1000, a child of the init, and waits for its READY line.
func startTarget(extra ...string) (*vminit.Target, error) {
	return vminit.StartTarget(vminit.AsUser(exec.Command(targetBin, targetArgs(extra...)...)))
}
