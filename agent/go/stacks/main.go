// Command stacks parks goroutines in known places (channel receive and send, select, mutex,
// RWMutex, WaitGroup, Cond, sleep, deep recursion, a thread-locked goroutine, a generic function,
// one with pprof labels worker=w1 and shard=3, a read syscall on a pipe, a busy loop) and, on SIGUSR2, prints its own runtime.Stack(all)
// between "STACKS BEGIN" and "STACKS END": what attachproof's snapshot is compared with. It says
// "READY pid=… go=…" once every goroutine has reached its place, and exits when stdin closes.
// With -crowd N, N more goroutines wait in four of those places in turn (channel, recursion of
// varied depth, select, mutex): a crowd for the snapshot's batched and parallel paths.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"
)

var (
	block = make(chan struct{})
	full  = make(chan int) // nobody receives: a send blocks for ever
	never = make(chan int) // nobody sends
	// The pipe a goroutine reads from for ever, held here: a garbage-collected *os.File closes
	// its descriptor, and a closed write end ends the read.
	pipeR, pipeW *os.File
	mu           sync.Mutex
	rw           sync.RWMutex
	wg           sync.WaitGroup
	cond         = sync.NewCond(&sync.Mutex{})
	started      sync.WaitGroup
)

func main() {
	crowd := flag.Int("crowd", 0, "more goroutines, parked in four places in turn")
	flag.Parse()
	mu.Lock() // held for ever: lockers block
	rw.Lock()
	wg.Add(1) // never done: waiters block

	spawn(func() { <-block })
	spawn(func() { full <- 1 })
	spawn(func() {
		select {
		case <-block:
		case <-time.After(24 * time.Hour):
		}
	})
	spawn(func() { mu.Lock() })
	spawn(func() { rw.RLock() })
	spawn(func() { wg.Wait() })
	spawn(func() {
		cond.L.Lock()
		cond.Wait()
	})
	spawn(func() { time.Sleep(24 * time.Hour) })
	spawn(func() { recurse(120) })
	spawn(func() { recurse(3) })
	spawn(func() {
		runtime.LockOSThread()
		<-block
	})
	spawn(func() { waitFor[string](make(chan string)) })
	spawn(func() {
		pprof.Do(context.Background(), pprof.Labels("worker", "w1", "shard", "3"), func(context.Context) { <-block })
	})
	var err error
	if pipeR, pipeW, err = os.Pipe(); err != nil {
		panic(err)
	}
	spawn(func() {
		var b [1]byte
		syscall.Read(int(pipeR.Fd()), b[:]) // a raw read: the goroutine stays in a syscall
	})
	for i := 0; i < *crowd; i++ {
		switch i % 4 {
		case 0:
			spawn(func() { <-block })
		case 1:
			depth := i % 9
			spawn(func() { recurse(depth) })
		case 2:
			spawn(func() {
				select {
				case <-block:
				case <-never:
				}
			})
		default:
			spawn(func() { mu.Lock() })
		}
	}
	go spin()
	started.Wait()
	time.Sleep(50 * time.Millisecond) // the last spawned goroutines reach their blocking call

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR2)
	go func() {
		for range sigs {
			buf := make([]byte, 1<<22)
			n := runtime.Stack(buf, true)
			for n == len(buf) { // cut short: again, with room
				buf = make([]byte, 2*len(buf))
				n = runtime.Stack(buf, true)
			}
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
func recurse(n int) int {
	if n == 0 {
		<-block
		return 0
	}
	return recurse(n-1) + 1
}

//go:noinline
func waitFor[T any](c chan T) T {
	return <-c
}

var sink int

func spin() {
	for i := 0; ; i++ {
		sink += i
	}
}
