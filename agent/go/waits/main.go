// Command waits parks goroutines on known objects and prints the objects' addresses, as the truth
// for what attachproof says each goroutine waits on: three receivers on one unbuffered channel,
// two goroutines in one select (receive from one channel, send to another whose buffer is full),
// three lockers of one held sync.Mutex, four on one sync.RWMutex (a writer waiting for a reader
// to leave, two readers behind that writer, a second writer behind the first), two waiters on one
// sync.WaitGroup, three on one sync.Cond made by sync.NewCond (the middle one neither head nor
// tail of the Cond's list) and one on a sync.Cond that is a package variable (in the executable's
// data, not the heap). Each goroutine parks in a function of its own (main.waitXxx), so a test
// knows what it waits on from its frames.
//
// Once every goroutine is parked (it reads its own runtime.Stack until each one under its
// main.waitXxx is parked: neither running nor runnable; no sleeping) it prints "READY pid=…
// go=… goroutines=…", having written to the file -objects names, for each object, a line "OBJECT
// <kind> <address> <function> <goroutines> [op elemType len cap]". It exits when stdin closes.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"
)

var (
	ch       = make(chan int)
	selA     = make(chan string)
	selB     = make(chan int64, 1)
	mu       sync.Mutex
	rw       sync.RWMutex
	wg       sync.WaitGroup
	condMu   sync.Mutex
	cond     *sync.Cond // made by main: on the heap (a package-level initializer may be allocated statically)
	varMu    sync.Mutex
	condVar  = sync.Cond{L: &varMu} // a Cond that is a variable of the executable, not on the heap
	released bool
)

//go:noinline
func waitChan() { <-ch }

//go:noinline
func waitSelect() {
	select {
	case <-selA:
	case selB <- 1:
	}
}

//go:noinline
func waitMutex() { mu.Lock() }

//go:noinline
func waitWriterSem() { rw.Lock() }

//go:noinline
func waitReaderSem() { rw.RLock() }

//go:noinline
func waitRWMutexW() { rw.Lock() }

//go:noinline
func waitGroup() { wg.Wait() }

//go:noinline
func waitCond() {
	condMu.Lock()
	for !released {
		cond.Wait()
	}
	condMu.Unlock()
}

//go:noinline
func waitCondVar() {
	varMu.Lock()
	for !released {
		condVar.Wait()
	}
	varMu.Unlock()
}

// parked waits until n goroutines under function fn stand parked: neither running nor runnable.
func parked(fn string, n int) {
	buf := make([]byte, 1<<20)
	for {
		s := string(buf[:runtime.Stack(buf, true)])
		count := 0
		for _, g := range strings.Split(s, "\n\n") {
			header, _, _ := strings.Cut(g, "\n")
			if strings.Contains(g, "main."+fn+"(") && !strings.Contains(header, "[running") && !strings.Contains(header, "[runnable") {
				count++
			}
		}
		if count >= n {
			return
		}
		runtime.Gosched()
	}
}

func start(fn string, n int, f func()) {
	for i := 0; i < n; i++ {
		go f()
	}
	parked(fn, n)
}

func main() {
	objects := flag.String("objects", "objects.txt", "where to write the objects' addresses")
	timer := flag.Bool("timer", false, "after READY, main waits for a timer's channel (an hour) instead of reading stdin: "+
		"every goroutine is then parked, and the runtime's checkdead holds off only because a timer is armed")
	gcs := flag.Int("gcs", 0, "collections to run once every goroutine is parked, before READY: from the second on, "+
		"each parked goroutine carries a waitsince, and a snapshot keeps what it read of it before the stop")
	flag.Parse()
	cond = sync.NewCond(&condMu)
	selB <- 0 // full: the select's send case blocks
	mu.Lock()
	rw.RLock() // held: the first writer waits for it to leave
	wg.Add(1)

	start("waitChan", 3, waitChan)
	start("waitSelect", 2, waitSelect)
	start("waitMutex", 3, waitMutex)
	start("waitWriterSem", 1, waitWriterSem)
	start("waitReaderSem", 2, waitReaderSem)
	start("waitRWMutexW", 1, waitRWMutexW)
	start("waitGroup", 2, waitGroup)
	start("waitCond", 3, waitCond)
	start("waitCondVar", 1, waitCondVar)

	var out strings.Builder
	fmt.Fprintf(&out, "OBJECT chan %p waitChan 3 receive int 0 0\n", ch)
	fmt.Fprintf(&out, "OBJECT chan %p waitSelect 2 receive string 0 0\n", selA)
	fmt.Fprintf(&out, "OBJECT chan %p waitSelect 2 send int64 1 1\n", selB)
	fmt.Fprintf(&out, "OBJECT sync.Mutex %p waitMutex 3\n", &mu)
	fmt.Fprintf(&out, "OBJECT sync.RWMutex %p waitWriterSem 1\n", &rw)
	fmt.Fprintf(&out, "OBJECT sync.RWMutex %p waitReaderSem 2\n", &rw)
	fmt.Fprintf(&out, "OBJECT sync.RWMutex %p waitRWMutexW 1\n", &rw)
	fmt.Fprintf(&out, "OBJECT sync.WaitGroup %p waitGroup 2\n", &wg)
	fmt.Fprintf(&out, "OBJECT sync.Cond %p waitCond 3\n", cond)
	fmt.Fprintf(&out, "OBJECT sync.Cond %p waitCondVar 1\n", &condVar)
	if err := os.WriteFile(*objects, []byte(out.String()), 0o644); err != nil {
		panic(err)
	}
	for i := 0; i < *gcs; i++ {
		runtime.GC()
	}
	fmt.Printf("READY pid=%d go=%s goroutines=%d\n", os.Getpid(), runtime.Version(), runtime.NumGoroutine())
	os.Stdout.Sync()
	if *timer {
		<-time.After(time.Hour)
		return
	}
	io.Copy(io.Discard, os.Stdin)
}
