package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"attachproof.dev/ittests/vminit"
)

// The helper modes. Each ends in execve of the JVM, so the process the init started (and
// knows the pid of) is the tracer itself.
const (
	// modeExecDoctor reads a target pid from stdin, then becomes the doctor on it: the init
	// learns the tracer's pid before the target exists, so the target can name it with
	// PR_SET_PTRACER (case d).
	modeExecDoctor = "exec-doctor"
	// modeDoctorOverGrandchild starts modeTargetParent, which starts the target, prints
	// "target=PID" and becomes the doctor: the JVM is the target's grandparent (case c). Not its
	// parent: the doctor declines to prove on its own children (the JDK's process reaper would
	// take their ptrace stops for exits).
	modeDoctorOverGrandchild = "doctor-over-grandchild"
	// modeTargetParent runs the target as its child, its stdout shared, until the target dies.
	modeTargetParent = "target-parent"
)

func execDoctorOnPidFromStdin() error {
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil {
		return fmt.Errorf("reading the target pid: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		return err
	}
	return execDoctor(pid)
}

func execDoctorOverGrandchild() error {
	// Stderr stays /dev/null: the init waits for EOF on the pipe that is our stderr, and the
	// target, alive until the init kills it, would hold it open.
	parent := exec.Command(self, modeTargetParent)
	out, err := parent.StdoutPipe()
	if err != nil {
		return err
	}
	if err := parent.Start(); err != nil {
		return err
	}
	pid, err := vminit.AwaitReady(out)
	if err != nil {
		parent.Process.Kill()
		return err
	}
	fmt.Printf("target=%d\n", pid)
	return execDoctor(pid)
}

func runTargetAsChild() error {
	target := exec.Command(targetBin, targetArgs()...)
	target.Stdout, target.Stderr = os.Stdout, os.Stderr
	return target.Run()
}

func execDoctor(pid int) error {
	argv := doctorArgv(pid)
	return syscall.Exec(argv[0], argv, os.Environ())
}
