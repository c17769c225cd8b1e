package vminit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// ReadyTimeout bounds the wait for a target's READY line: a Go start takes well under a second
// even under emulation.
const ReadyTimeout = 30 * time.Second

// AgentArgv is the agent's command line, argv[0] included, with extra JVM options (an AOT
// cache). Under emulation a run is faster with C1 only and the serial collector than with the
// defaults (it-tests/README.md), and it needs no hsperfdata file.
func AgentArgv(jvmOptions []string, args ...string) []string {
	argv := append([]string{JavaBin, "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"-XX:-UsePerfData"}, jvmOptions...)
	return append(append(argv, "-jar", AgentJar), args...)
}

// AsUser runs cmd as uid/gid 1000 with no supplementary groups: setuid from root to a non-zero
// uid clears every capability (capabilities(7)).
func AsUser(cmd *exec.Cmd) *exec.Cmd {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: UserID, Gid: UserID, Groups: []uint32{}}}
	return cmd
}

// Result is how a command ended and what it printed.
type Result struct {
	Pid    int
	Exit   int
	Millis int64
	Stdout []byte
	Stderr string
}

// Run runs cmd, calls started (when not nil) with its pid before waiting, and kills it after
// timeout; a command that exits non-zero is a Result, not an error.
func Run(cmd *exec.Cmd, timeout time.Duration, started func(pid int) error) (Result, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Should a descendant of cmd keep its output pipes open, Wait returns this long after cmd's exit.
	cmd.WaitDelay = 10 * time.Second
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		return Result{}, err
	}
	if started != nil {
		if err := started(cmd.Process.Pid); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return Result{}, err
		}
	}
	timer := time.AfterFunc(timeout, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	timedOut := !timer.Stop()
	r := Result{Pid: cmd.Process.Pid, Exit: cmd.ProcessState.ExitCode(), Millis: time.Since(begin).Milliseconds(),
		Stdout: stdout.Bytes(), Stderr: stderr.String()}
	if timedOut {
		return r, fmt.Errorf("killed after %v (stderr %q)", timeout, r.Stderr)
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return r, err
	}
	return r, nil
}

// Target is a Go target started by the init, its stdout read line by line.
type Target struct {
	Cmd   *exec.Cmd
	Pid   int
	Lines <-chan string
}

// StartTarget starts cmd (a Go program that prints "READY pid=N ..." first) and waits for
// that line. Its stdin is a pipe held open, for fixtures that exit when stdin closes.
func StartTarget(cmd *exec.Cmd) (*Target, error) {
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if _, err := cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t := &Target{Cmd: cmd, Lines: Lines(out)}
	if t.Pid, err = readyPid(t.Lines); err != nil {
		t.Stop()
		return nil, err
	}
	return t, nil
}

// Stop kills the target and waits for it.
func (t *Target) Stop() {
	t.Cmd.Process.Kill()
	t.Cmd.Wait()
}

// Lines reads r line by line (without the newline) onto a channel that is closed at EOF.
func Lines(r io.Reader) <-chan string {
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		s := bufio.NewScanner(r)
		s.Buffer(make([]byte, 1<<20), 1<<20)
		for s.Scan() {
			lines <- s.Text()
		}
	}()
	return lines
}

// NextLine is the next line, or an error at EOF or after timeout.
func NextLine(lines <-chan string, timeout time.Duration) (string, error) {
	select {
	case line, ok := <-lines:
		if !ok {
			return "", io.EOF
		}
		return line, nil
	case <-time.After(timeout):
		return "", fmt.Errorf("no line within %v", timeout)
	}
}

// AwaitReady reads a target's "READY pid=N ..." line from out and returns N.
func AwaitReady(out io.Reader) (int, error) {
	return readyPid(Lines(out))
}

func readyPid(lines <-chan string) (int, error) {
	line, err := NextLine(lines, ReadyTimeout)
	if err != nil {
		return 0, fmt.Errorf("the target said no READY line: %w", err)
	}
	var pid int
	if _, err := fmt.Sscanf(line, "READY pid=%d", &pid); err != nil {
		return 0, fmt.Errorf("not a READY line: %q", line)
	}
	return pid, nil
}
