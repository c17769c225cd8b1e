package main

// With STACKS_PPROF=PATH in its environment, the fixture also writes Go's own goroutine profile,
// pprof.Lookup("goroutine").WriteTo(f, 0) (what net/http/pprof serves at /debug/pprof/goroutine),
// to PATH on each SIGUSR1 and then prints "PPROF WRITTEN": what attachproof's --format pprof is
// compared with. Without it nothing here runs, and the fixture has the goroutines it always had.

import (
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

func init() {
	path := os.Getenv("STACKS_PPROF")
	if path == "" {
		return
	}
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go writeProfiles(path, usr1)
}

// writeProfiles is the goroutine that writes the profile: parked in a channel receive until the
// signal, inside runtime/pprof while Go records it, so the test leaves it out of the comparison.
func writeProfiles(path string, usr1 chan os.Signal) {
	for range usr1 {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.Lookup("goroutine").WriteTo(f, 0)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Printf("PPROF FAILED %v\n", err)
		} else {
			fmt.Printf("PPROF WRITTEN\n")
		}
		os.Stdout.Sync()
	}
}
