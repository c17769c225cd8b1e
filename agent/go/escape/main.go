// Command escape is a Go process whose names are hostile to a terminal: the test builds it in a
// directory whose name holds escape sequences (so its source paths carry them into every
// traceback), patches its build info the same way, and gives it a process name (comm) with
// controls from $ESCAPE_COMM. It parks one goroutine in main.parked, announces READY, and on
// SIGUSR2 prints its own runtime.Stack(all) between "STACKS BEGIN" and "STACKS END", so the
// test can compare the snapshot with Go's own bytes. It exits when its stdin closes.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"unsafe"
)

const prSetName = 15 // PR_SET_NAME, <linux/prctl.h>

var (
	block   = make(chan struct{})
	started = make(chan struct{})
)

// init runs on the main thread (locked there), so PR_SET_NAME names the thread-group leader,
// whose name is the process's /proc/PID/comm.
func init() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if name := os.Getenv("ESCAPE_COMM"); name != "" {
		b := append([]byte(name), 0)
		syscall.Syscall(syscall.SYS_PRCTL, prSetName, uintptr(unsafe.Pointer(&b[0])), 0)
	}
}

// parked takes no arguments: Go prints a frame's argument words, which the snapshot does not
// read, and the test compares this goroutine's lines byte for byte.
func parked() {
	close(started)
	<-block
}

func main() {
	go parked()
	<-started

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR2)
	fmt.Printf("READY pid=%d go=%s goroutines=%d\n", os.Getpid(), runtime.Version(), runtime.NumGoroutine())
	eof := make(chan struct{})
	go func() {
		io.Copy(io.Discard, bufio.NewReader(os.Stdin))
		close(eof)
	}()
	for {
		select {
		case <-sigs:
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			fmt.Printf("STACKS BEGIN\n%sSTACKS END\n", buf[:n])
		case <-eof:
			return
		}
	}
}
