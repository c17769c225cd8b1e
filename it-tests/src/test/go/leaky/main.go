// Command leaky is a small Go service for the goroutine leak check (it-tests, LeakCheckTest):
// each request (SIGUSR1; the containers have no network) fans out to ten workers and takes the
// first result. With -leak the results channel is unbuffered, so nine workers block forever on
// their send: the classic goroutine leak. Without it the channel holds every result and the
// workers end. With -hold the workers first wait until released (SIGUSR2), so a test can see
// them running and then see them finish. It says what it did on stdout, so tests never sleep:
// "READY", "STARTED n" once request n's workers exist, "HANDLED n" once it took a result,
// "RELEASED".
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const workers = 10

func main() {
	leak := flag.Bool("leak", false, "an unbuffered results channel: the workers that lose the race never end")
	hold := flag.Bool("hold", false, "the workers wait for SIGUSR2 before they work")
	flag.Parse()

	release := make(chan struct{})
	if !*hold {
		close(release)
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGTERM, syscall.SIGINT)
	fmt.Println("READY")
	requests := 0
	for s := range sigs {
		switch s {
		case syscall.SIGUSR1:
			requests++
			go handle(requests, *leak, release)
		case syscall.SIGUSR2:
			close(release)
			fmt.Println("RELEASED")
		default:
			return
		}
	}
}

// handle answers one request with the first worker's result.
func handle(request int, leak bool, release <-chan struct{}) {
	size := workers
	if leak {
		size = 0
	}
	results := make(chan int, size)
	for i := 0; i < workers; i++ {
		go worker(i, release, results)
	}
	fmt.Printf("STARTED %d\n", request)
	first := <-results
	fmt.Printf("HANDLED %d first=%d\n", request, first)
}

func worker(i int, release <-chan struct{}, results chan<- int) {
	<-release
	results <- i * i
}
