// Command churn keeps goroutines parking and waking all the time, for a snapshot that copies
// while the target runs: pairs of goroutines passing a token back and forth through two call
// sites, goroutines growing their stacks by recursion and parking at the bottom, goroutines
// started and exiting (their g's freed and reused), beside goroutines parked for good.
//
// On SIGUSR1 it settles: every churning goroutine finishes its round and parks for good, each
// in a place of its own, and the "same place" goroutines, parked since the start in sameSP at
// its first receive, wake once and park again at its second receive: the same SP and PC (the
// same frame of the same function, the same runtime call), a different caller line. It prints
// "SETTLED" once all have parked. On SIGUSR2 it prints its own runtime.Stack(all) between
// "STACKS BEGIN" and "STACKS END", as the stacks fixture does. It says "READY pid=… go=…" once
// every goroutine has started, and exits when stdin closes.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	settle    = make(chan struct{})
	settling  atomic.Bool
	forever   = make(chan struct{})
	sameFirst = make(chan struct{})
	sameNext  = make(chan struct{})
	parked    sync.WaitGroup // goroutines about to park for good after settling
	started   sync.WaitGroup
)

func main() {
	pairs := flag.Int("pairs", 100, "pairs of goroutines passing a token back and forth")
	growers := flag.Int("growers", 50, "goroutines growing their stacks and parking at the bottom, over and over")
	still := flag.Int("still", 200, "goroutines parked for good from the start")
	same := flag.Int("same", 50, "goroutines that wake once on settling and park again at the same SP and PC")
	flag.Parse()

	for i := 0; i < *still; i++ {
		depth := i % 7
		spawn(func() { stillAt(depth) })
	}
	for i := 0; i < *same; i++ {
		spawn(sameSP)
	}
	for i := 0; i < *pairs; i++ {
		a, b := make(chan int), make(chan int)
		spawn(func() { ping(a, b) })
		spawn(func() { pong(a, b) })
	}
	for i := 0; i < *growers; i++ {
		depth := 20 + i%40
		spawn(func() { grow(depth) })
	}
	parked.Add(1)
	spawn(starter)
	started.Wait()

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGUSR2)
	go func() {
		for s := range sigs {
			if s == syscall.SIGUSR1 {
				// Here, not in a goroutine of its own: the one that prints SETTLED may still be in
				// its write when the reader has the line, and this one is the dumper, which the
				// comparison leaves out ([running] in Go's dump).
				settleAll(*pairs*2 + *growers + *same)
				continue
			}
			buf := make([]byte, 1<<22)
			n := runtime.Stack(buf, true)
			for n == len(buf) {
				buf = make([]byte, 2*len(buf))
				n = runtime.Stack(buf, true)
			}
			fmt.Printf("STACKS BEGIN\n%s\nSTACKS END\n", strings.TrimRight(string(buf[:n]), "\n"))
			os.Stdout.Sync()
		}
	}()
	// Two collections, as a service up for some minutes has had (runtime/proc.go forces one every
	// 2 minutes): the second marks every goroutine parked since before the first with a non-zero
	// waitsince (the first marks with work.tstart, which holds the previous cycle's start and is
	// 0 before any). The still and same-place goroutines then keep a copy made before the stop
	// only if they did not run since (the same-place ones do, on settling: they must not).
	runtime.GC()
	runtime.GC()
	fmt.Printf("READY pid=%d go=%s goroutines=%d\n", os.Getpid(), runtime.Version(), runtime.NumGoroutine())
	os.Stdout.Sync()
	io.Copy(io.Discard, os.Stdin)
}

func spawn(f func()) {
	started.Add(1)
	go func() {
		started.Done()
		f()
	}()
}

// settleAll ends the churn: the churning goroutines see settle closed at their next round;
// the same-place goroutines are woken once. Then it waits for all to reach their last park.
func settleAll(churning int) {
	if !settling.CompareAndSwap(false, true) {
		return
	}
	parked.Add(churning)
	close(settle)
	close(sameFirst)
	parked.Wait()
	time.Sleep(50 * time.Millisecond) // the last of them reach their blocking call
	fmt.Println("SETTLED")
	os.Stdout.Sync()
}

func stillAt(depth int) {
	if depth > 0 {
		stillAt(depth - 1)
		return
	}
	<-forever
}

// sameSP parks at its first receive until settling, then at its second: the same frame, the
// same runtime call, so the same saved SP and PC; only the line it was called from differs.
func sameSP() {
	<-sameFirst
	parked.Done()
	<-sameNext
}

//go:noinline
func settledPing() { parked.Done(); <-forever }

//go:noinline
func settledPong() { parked.Done(); <-forever }

//go:noinline
func settledGrower() { parked.Done(); <-forever }

func ping(a, b chan int) {
	for n := 0; ; n++ {
		select {
		case <-settle:
			settledPing()
		case a <- n:
		}
		if n%2 == 0 {
			recvHere(b)
		} else {
			recvThere(b)
		}
	}
}

func pong(a, b chan int) {
	for {
		var n int
		select {
		case <-settle:
			settledPong()
		case n = <-a:
		}
		b <- n
	}
}

//go:noinline
func recvHere(c chan int) { <-c }

//go:noinline
func recvThere(c chan int) { <-c }

// grow recurses depth frames (growing the stack, which the runtime moves), parks briefly at
// the bottom, and returns: the runtime may shrink the stack again at a GC.
func grow(depth int) {
	for {
		select {
		case <-settle:
			settledGrower()
		default:
		}
		descend(depth)
	}
}

//go:noinline
func descend(depth int) int {
	var pad [64]byte
	if depth == 0 {
		time.Sleep(time.Millisecond)
		return int(pad[0])
	}
	return descend(depth-1) + int(pad[depth%256])
}

// starter starts short-lived goroutines until settling: their g's are freed and reused.
func starter() {
	for {
		select {
		case <-settle:
			parked.Done()
			<-forever
		default:
		}
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runtime.Gosched()
			}()
		}
		wg.Wait()
	}
}
