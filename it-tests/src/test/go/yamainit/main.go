// Command yamainit is /init of the initramfs that YamaKernelTest boots on Debian's kernel under
// qemu. As pid 1 it runs the Yama matrix (matrix.go): for each ptrace_scope, attachproof's
// doctor on a Go target from four tracers, one result line per run on the console, then power
// off. Started again by itself with a mode argument, it is one of the helpers that give a tracer
// its place in the process tree (helpers.go).
package main

import (
	"fmt"
	"os"
	"strconv"
)

// Paths inside the initramfs, as YamaInitramfs lays it out.
const (
	self      = "/init"
	javaBin   = "/opt/java/bin/java"
	agentJar  = "/opt/attachproof.jar"
	targetBin = "/opt/target"
)

// userID is the unprivileged uid of the targets and of tracers b, c and d. No /etc/passwd entry
// is needed: credentials are numeric.
const userID = 1000

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

// doctorArgv is the agent's command line, argv[0] included. Under emulation a run is faster
// with C1 only and the serial collector than with the defaults (it-tests/README.md), and it
// needs no hsperfdata file.
func doctorArgv(pid int) []string {
	return []string{javaBin, "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"-XX:-UsePerfData", "-jar", agentJar, "doctor", strconv.Itoa(pid), "--json"}
}
