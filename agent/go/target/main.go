// Command target is the Go process attachproof's tests attach to. It parks goroutines in
// known places, can make itself non-dumpable or name a tracer, and announces readiness on
// stdout ("READY pid=… go=… goroutines=…") once everything is set up, so tests never sleep.
// By default it exits when its stdin closes, so a test that dies never leaves it behind.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"
)

const (
	prSetDumpable = 4          // PR_SET_DUMPABLE, <linux/prctl.h>
	prSetPtracer  = 0x59616d61 // PR_SET_PTRACER ("Yama"), <linux/prctl.h>
)

func main() {
	goroutines := flag.Int("goroutines", 8, "parked goroutines to start")
	nondumpable := flag.Bool("nondumpable", false, "prctl(PR_SET_DUMPABLE, 0) before READY")
	ptracer := flag.Int("ptracer", 0, "prctl(PR_SET_PTRACER, pid) before READY (-1: any)")
	hold := flag.String("hold", "stdin", "stdin: exit when stdin closes; forever: run until a signal")
	busy := flag.Bool("busy", false, "keep one goroutine spinning and one writing a file every 10 ms")
	gcs := flag.Int("gcs", 0, "collections to run once the goroutines are parked, before READY")
	flag.Parse()

	if *nondumpable {
		prctl(prSetDumpable, 0)
	}
	if *ptracer != 0 {
		prctl(prSetPtracer, uintptr(*ptracer))
	}

	var started sync.WaitGroup
	block := make(chan struct{})
	for i := 0; i < *goroutines; i++ {
		started.Add(1)
		go parked(i, block, &started)
	}
	started.Wait()
	// A sync.Cond nothing waits on: it puts sync.Cond and the runtime's notifyList in the DWARF
	// that LayoutGenerator makes the layout tables from (what a Cond's waiters are read with).
	cond := sync.NewCond(&sync.Mutex{})
	cond.Broadcast()
	if *busy {
		go spin()
		go writeEvery(10 * time.Millisecond)
	}
	// A service that has been up for some minutes has been collected at least twice
	// (runtime/proc.go forces a GC every 2 minutes). The first collection marks a parked
	// goroutine's waitsince with work.tstart, which is still 0 then: it holds the start of the
	// previous cycle's mark termination (runtime/mgc.go, gcMark).
	for i := 0; i < *gcs; i++ {
		runtime.GC()
	}

	// Signals are registered before READY: a test may signal as soon as it reads that line.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1)

	fmt.Printf("READY pid=%d go=%s goroutines=%d\n", os.Getpid(), runtime.Version(), runtime.NumGoroutine())
	os.Stdout.Sync()
	eof := make(chan struct{})
	if *hold == "stdin" {
		go func() {
			io.Copy(io.Discard, bufio.NewReader(os.Stdin))
			close(eof)
		}()
	}
	for {
		select {
		case <-eof:
			return
		case s := <-sigs:
			if s == syscall.SIGUSR1 {
				// Tests send SIGUSR1 while the target is stopped: it must arrive after detach.
				fmt.Println("SIGNAL usr1")
				continue
			}
			return
		}
	}
}

// parked blocks in one of a few known places, by index, so a snapshot has variety.
func parked(i int, block chan struct{}, started *sync.WaitGroup) {
	switch i % 3 {
	case 0:
		started.Done()
		<-block // chan receive
	case 1:
		started.Done()
		select { // select
		case <-block:
		case <-time.After(24 * time.Hour):
		}
	default:
		started.Done()
		time.Sleep(24 * time.Hour) // sleep
	}
}

// spin never parks: a goroutine that is running whenever the target is stopped.
func spin() {
	for n := 0; ; n++ {
		if n%(1<<30) == 0 {
			runtime.Gosched()
		}
	}
}

// writeEvery writes a line to a temporary file every period: a goroutine in and out of syscalls.
func writeEvery(period time.Duration) {
	f, err := os.CreateTemp("", "target-busy-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Remove(f.Name())
	for t := range time.Tick(period) {
		fmt.Fprintln(f, t.UnixNano())
		if off, _ := f.Seek(0, io.SeekCurrent); off > 1<<20 {
			f.Truncate(0)
			f.Seek(0, io.SeekStart)
		}
	}
}

func prctl(option, arg uintptr) {
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, option, arg, 0); errno != 0 {
		fmt.Fprintf(os.Stderr, "prctl(%d): %v\n", option, errno)
		os.Exit(1)
	}
}
