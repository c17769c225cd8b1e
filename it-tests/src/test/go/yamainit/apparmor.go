package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"

	"attachproof.dev/ittests/vminit"
)

// The AppArmor cases of YamaKernelTest.AppArmorCase: the host compiles the profiles
// (it-tests/src/test/apparmor) into one binary policy at policyFile; the init loads it and runs the
// doctor, confined or not, on a target confined or not, while ptrace_scope is 0 (so that only
// AppArmor can refuse: tracer and target are uid 1000, the target not the tracer's descendant).
const (
	policyFile = "/opt/apparmor.bin"
	// loadFile takes a binary policy in one write (security/apparmor/apparmorfs.c, .load).
	loadFile = "/sys/kernel/security/apparmor/.load"
	// modeConfine writes "exec PROFILE" to its thread's AppArmor exec attribute, then execs the
	// rest of its arguments: the program starts under PROFILE, as a container runtime starts a
	// container's process (runc does the same before its exec).
	modeConfine = "confine"
)

// appArmorCase is one row of YamaKernelTest.AppArmorCase: the profiles of each side ("" for
// unconfined).
type appArmorCase struct {
	name, tracer, target string
}

var appArmorCases = []appArmorCase{
	{"same-profile", "docker-default", "docker-default"},
	{"different-profiles", "docker-default", "cri-containerd.apparmor.d"},
	{"unconfined-tracer", "", "docker-default"},
	{"unconfined-target", "docker-default", ""},
	{"trace-rule", "debugger", ""},
	{"trace-rule-without-tracedby", "debugger", "docker-default"},
}

// runAppArmor loads the policy and runs every case; each result is an "apparmor" event, between
// "apparmor-loaded" and "apparmor-done" (with the uptimes that time the whole).
func runAppArmor() {
	start := vminit.UptimeMillis()
	profiles, err := loadPolicy()
	if err != nil {
		console.Error(err, map[string]any{"case": "apparmor-load"})
		return
	}
	console.Emit(map[string]any{"event": "apparmor-loaded", "profiles": profiles, "startMillis": start,
		"loadedMillis": vminit.UptimeMillis()})
	defer func() {
		console.Emit(map[string]any{"event": "apparmor-done", "uptimeMillis": vminit.UptimeMillis()})
	}()
	for _, c := range appArmorCases {
		r, label, err := c.run()
		if err != nil {
			console.Error(err, map[string]any{"case": "apparmor-" + c.name})
		} else {
			r.Event, r.Case = "apparmor-run", c.name
			console.Emit(map[string]any{"event": "apparmor", "case": c.name, "targetLabelSeenByInit": label, "run": r})
		}
		vminit.ReapOrphans()
	}
}

// loadPolicy writes the compiled profiles to the kernel and returns the loaded profiles as
// /sys/kernel/security/apparmor/profiles lists them.
func loadPolicy() (string, error) {
	policy, err := os.ReadFile(policyFile)
	if err != nil {
		return "", err
	}
	f, err := os.OpenFile(loadFile, os.O_WRONLY, 0)
	if err != nil {
		return "", fmt.Errorf("opening %s (is AppArmor on?): %w", loadFile, err)
	}
	defer f.Close()
	if n, err := f.Write(policy); err != nil || n != len(policy) {
		return "", fmt.Errorf("loading %d bytes of policy: wrote %d: %w", len(policy), n, err)
	}
	return vminit.ReadTrimmed("/sys/kernel/security/apparmor/profiles"), nil
}

func (c appArmorCase) run() (run, string, error) {
	// The target as startTarget starts it (uid 1000, the init's child), under the case's profile.
	targetArgv := confined(c.target, append([]string{targetBin}, targetArgs()...)...)
	t, err := vminit.StartTarget(vminit.AsUser(exec.Command(targetArgv[0], targetArgv[1:]...)))
	if err != nil {
		return run{}, "", err
	}
	defer t.Stop()
	label := vminit.ReadTrimmed(fmt.Sprintf("/proc/%d/attr/apparmor/current", t.Pid))
	argv := confined(c.tracer, doctorArgv(t.Pid)...)
	r, err := doctor(vminit.AsUser(exec.Command(argv[0], argv[1:]...)), vminit.UserID, t.Pid, nil)
	return r, label, err
}

// confined is argv run under profile (through modeConfine), or argv itself for "" (unconfined).
func confined(profile string, argv ...string) []string {
	if profile == "" {
		return argv
	}
	return append([]string{self, modeConfine, profile}, argv...)
}

// execConfined is modeConfine: os.Args[2] is the profile, the rest the command.
func execConfined() error {
	if len(os.Args) < 4 {
		return errors.New("usage: init confine PROFILE PROGRAM [ARG...]")
	}
	profile, argv := os.Args[2], os.Args[3:]
	// The attribute is the writing thread's, and so is the exec: both on one locked thread.
	runtime.LockOSThread()
	request := []byte("exec " + profile)
	var werr error
	for _, attr := range []string{"/proc/thread-self/attr/apparmor/exec", "/proc/thread-self/attr/exec"} {
		if werr = os.WriteFile(attr, request, 0); werr == nil {
			break
		}
	}
	if werr != nil {
		return fmt.Errorf("asking for %s at the next exec: %w", profile, werr)
	}
	path := argv[0]
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("not an absolute path: %s", path)
	}
	return syscall.Exec(path, argv, os.Environ())
}
