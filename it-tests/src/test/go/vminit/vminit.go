// Package vminit is what the inits of the VM tests (yamainit, arm64init) share: as pid 1 they
// mount the kernel's file systems, start Go targets and the agent's JVM under time bounds, print
// one JSON result per line on the console for the host to parse, and power the machine off.
package vminit

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Paths inside the initramfs, as the test's Java side lays it out.
const (
	JavaBin  = "/opt/java/bin/java"
	AgentJar = "/opt/attachproof.jar"
)

// UserID is the unprivileged uid of targets and tracers. No /etc/passwd entry is needed:
// credentials are numeric.
const UserID = 1000

// ScopeFile is Yama's ptrace_scope.
const ScopeFile = "/proc/sys/kernel/yama/ptrace_scope"

// Console prints results: each line is Prefix and one JSON object with an "event" field.
type Console struct{ Prefix string }

// Emit prints v as one result line.
func (c Console) Emit(v any) {
	line, err := json.Marshal(v)
	if err != nil {
		line, _ = json.Marshal(map[string]any{"event": "error", "message": "encoding a result: " + err.Error()})
	}
	os.Stdout.Write(append([]byte(c.Prefix+string(line)), '\n'))
}

// EmitRun prints event with run r's outcome (exit, millis, stderr, any error), and its stdout
// under key when it is one JSON document (verbatim as "stdout" otherwise).
func (c Console) EmitRun(event map[string]any, key string, r Result, err error) {
	event["exit"], event["millis"], event["stderr"] = r.Exit, r.Millis, r.Stderr
	if json.Valid(r.Stdout) {
		event[key] = json.RawMessage(r.Stdout)
	} else {
		event["stdout"] = string(r.Stdout)
	}
	if err != nil {
		event["runError"] = err.Error()
	}
	c.Emit(event)
}

// Error prints an error event with the context's fields.
func (c Console) Error(err error, context map[string]any) {
	event := map[string]any{"event": "error", "message": err.Error()}
	for k, v := range context {
		event[k] = v
	}
	c.Emit(event)
}

// RunAsInit is pid 1's whole life: mount, print the boot event, run body, power off whatever
// happens (a panic is printed as an error event first).
func (c Console) RunAsInit(body func()) {
	defer PowerOff()
	defer func() {
		if r := recover(); r != nil {
			c.Emit(map[string]any{"event": "error", "message": fmt.Sprint("init panicked: ", r)})
		}
	}()
	if err := MountAll(); err != nil {
		c.Error(err, nil)
		return
	}
	c.Emit(BootEvent())
	body()
}

// BootEvent is the first result: when userland started, on which kernel, with which LSMs.
func BootEvent() map[string]any {
	var u syscall.Utsname
	syscall.Uname(&u)
	machine := make([]byte, 0, len(u.Machine))
	for _, c := range u.Machine {
		if c == 0 {
			break
		}
		machine = append(machine, byte(c))
	}
	return map[string]any{"event": "boot", "uptimeMillis": UptimeMillis(), "machine": string(machine),
		"kernel": ReadTrimmed("/proc/sys/kernel/osrelease"), "lsm": ReadTrimmed("/sys/kernel/security/lsm")}
}

// MountAll mounts what the agent reads (/proc, /sys and securityfs, /dev) and a /tmp the JVM
// writes to as root and as uid 1000.
func MountAll() error {
	mounts := []struct{ source, dir, fstype, data string }{
		{"proc", "/proc", "proc", ""},
		{"sys", "/sys", "sysfs", ""},
		{"none", "/sys/kernel/security", "securityfs", ""}, // the lsm check reads the active LSMs there
		{"dev", "/dev", "devtmpfs", ""},
		{"tmp", "/tmp", "tmpfs", "mode=1777"},
	}
	for _, m := range mounts {
		if err := syscall.Mount(m.source, m.dir, m.fstype, 0, m.data); err != nil {
			return fmt.Errorf("mount %s on %s: %w", m.fstype, m.dir, err)
		}
	}
	return nil
}

// SetScope writes Yama's ptrace_scope and checks that it reads so.
func SetScope(scope int) error {
	if err := os.WriteFile(ScopeFile, []byte(strconv.Itoa(scope)+"\n"), 0); err != nil {
		return fmt.Errorf("writing %s: %w", ScopeFile, err)
	}
	if got := ReadTrimmed(ScopeFile); got != strconv.Itoa(scope) {
		return fmt.Errorf("%s reads %q after writing %d", ScopeFile, got, scope)
	}
	return nil
}

// ReapOrphans waits for the processes reparented to the init, which no exec.Cmd waits for.
// Called between runs, when no exec.Cmd is waiting.
func ReapOrphans() {
	for {
		pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

func UptimeMillis() int64 {
	secs, _, _ := strings.Cut(ReadTrimmed("/proc/uptime"), " ")
	f, _ := strconv.ParseFloat(secs, 64)
	return int64(f * 1000)
}

func ReadTrimmed(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	return strings.TrimSpace(string(b))
}

// PowerOff ends the VM: qemu exits. Should the call fail, the init returns and the kernel
// panics, which with panic=-1 and -no-reboot also ends qemu.
func PowerOff() {
	syscall.Sync()
	if err := syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF); err != nil {
		fmt.Fprintln(os.Stderr, "init: power off:", err)
	}
}
