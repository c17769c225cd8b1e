// Command yamainit is /init of the initramfs that YamaKernelTest boots on Debian's kernel under
// qemu. As pid 1 it runs the Yama matrix (matrix.go): for each ptrace_scope, attachproof's
// doctor on a Go target from four tracers, and at scope 0 the AppArmor cases (apparmor.go), one
// result line per run on the console, then power off. Started again by itself with a mode
// argument, it is one of the helpers that give a tracer its place in the process tree
// (helpers.go) or its AppArmor profile (apparmor.go).
package main

import (
	"fmt"
	"os"
	"strconv"

	"attachproof.dev/ittests/vminit"
)

// Paths inside the initramfs, as YamaInitramfs lays it out (the JVM's: vminit).
const (
	self      = "/init"
	targetBin = "/opt/target"
)

func main() {
	if os.Getpid() == 1 {
		runMatrix()
		return
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: init MODE (pid 1 runs the matrix)")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case modeExecDoctor:
		err = execDoctorOnPidFromStdin()
	case modeDoctorOverGrandchild:
		err = execDoctorOverGrandchild()
	case modeTargetParent:
		err = runTargetAsChild()
	case modeConfine:
		err = execConfined()
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	fmt.Fprintln(os.Stderr, "init", os.Args[1]+":", err)
	os.Exit(3)
}

// targetArgs are the Go target's flags: a few parked goroutines, alive until killed.
func targetArgs(extra ...string) []string {
	return append([]string{"-hold", "forever", "-goroutines", "4"}, extra...)
}

// doctorArgv is the doctor's command line, argv[0] included.
func doctorArgv(pid int) []string {
	return vminit.AgentArgv(nil, "doctor", strconv.Itoa(pid), "--json")
}
