// Command waiting parks goroutines for as long as it runs, so that they wait minutes on the
// process's own clock: three on a channel and three on a mutex, started in turn (one stack's ids
// are not a run), one in a raw read syscall on a pipe, and one in epoll_wait on an empty epoll
// set, a call the kernel does not restart after a stop (signal(7)). One more goroutine wakes every second
// on a ticker and runs a GC: Go stamps a blocked goroutine's waitsince only when a GC scans its
// stack (runtime/mgcmark.go, markroot: "remember when we've first observed the G blocked"), so
// without a GC no goroutine would show "N minutes" before the runtime's forced GC after two; and
// the ticker's own goroutine, woken each second (runtime/proc.go, execute clears waitsince),
// never shows minutes. On SIGUSR2 it prints its own runtime.Stack(all) between "STACKS BEGIN"
// and "STACKS END". It says "READY pid=… go=…" once every goroutine has reached its place, and
// exits when stdin closes. The main goroutine keeps the main thread, so that the kernel hands the
// process-directed SIGUSR2 to it (kernel/signal.c, complete_signal, tries the leader first), where
// it interrupts a restartable read, never the epoll_wait.
package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

var (
	block   = make(chan struct{})
	mu      sync.Mutex
	started sync.WaitGroup
	// Held here: a garbage-collected *os.File closes its descriptor, which would end the read.
	pipeR, pipeW *os.File
)

func init() {
	runtime.LockOSThread() // in init: the main goroutine on the main thread, for good
}

func main() {
	mu.Lock() // held for ever: lockers block
	var err error
	if pipeR, pipeW, err = os.Pipe(); err != nil {
		panic(err)
	}
	for i := 0; i < 3; i++ {
		spawn(receive)
		spawn(lock)
	}
	spawn(readPipe)
	spawn(pollForever)
	started.Wait()
	go collect()

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR2)
	go func() {
		for range sigs {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			fmt.Printf("STACKS BEGIN\n%s\nSTACKS END\n", strings.TrimRight(string(buf[:n]), "\n"))
			os.Stdout.Sync()
		}
	}()
	fmt.Printf("READY pid=%d go=%s goroutines=%d\n", os.Getpid(), runtime.Version(), runtime.NumGoroutine())
	os.Stdout.Sync()
	io.Copy(io.Discard, os.Stdin)
}

// spawn starts f on a new goroutine and counts it as started just before it blocks.
func spawn(f func()) {
	started.Add(1)
	go func() {
		started.Done()
		f()
	}()
}

//go:noinline
func receive() { <-block }

//go:noinline
func lock() { mu.Lock() }

// readPipe reads the pipe nobody writes: a raw read, so the goroutine stays in a syscall.
//
//go:noinline
func readPipe() {
	var b [1]byte
	syscall.Read(int(pipeR.Fd()), b[:])
}

// pollForever waits on an epoll set with nothing in it: only EINTR ends the wait, and then it
// waits again, as a library's own event loop would.
//
//go:noinline
func pollForever() {
	epfd, err := syscall.EpollCreate1(0)
	if err != nil {
		panic(err)
	}
	var events [1]syscall.EpollEvent
	for {
		syscall.EpollWait(epfd, events[:], -1)
	}
}

// collect runs a GC every second: each stamps the goroutines that blocked since the last one.
func collect() {
	tick := time.NewTicker(time.Second)
	for range tick.C {
		runtime.GC()
	}
}
