// Command demo is the small Go service that `attachproof demo` starts and inspects: a pool
// of workers fed through a channel, a goroutine waiting on a mutex, a ticker and a few
// sleepers, the shapes a real service's goroutine dump is made of.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"
)

type job struct{ n int }

func worker(id int, jobs <-chan job, results chan<- int) {
	for j := range jobs {
		results <- j.n * j.n
	}
}

func main() {
	jobs := make(chan job)
	results := make(chan int, 16)
	for i := 0; i < 8; i++ {
		go worker(i, jobs, results)
	}

	var mu sync.Mutex
	mu.Lock()
	go func() {
		mu.Lock() // waits for the lock main holds for ever
		defer mu.Unlock()
	}()

	ticks := time.NewTicker(time.Second)
	go func() {
		for range ticks.C {
			select {
			case jobs <- job{n: 3}:
				<-results
			default:
			}
		}
	}()

	for i := 0; i < 4; i++ {
		go func() { time.Sleep(time.Hour) }()
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	fmt.Printf("READY pid=%d go=%s goroutines=%d\n", os.Getpid(), runtime.Version(), runtime.NumGoroutine())
	<-sigs
}
