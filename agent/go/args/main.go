// Command args parks goroutines in functions whose arguments have every shape Go's traceback
// prints differently (runtime/traceback.go printArgs, from the compiler's ArgInfo program):
// integers of each size, bools, floats, complex numbers, strings, slices, interfaces, pointers,
// structs and arrays ({…}), aggregates nested deeper than 5 ({...}), more than 10 words (...), a
// word at an offset past 250 bytes (_), arguments passed in registers and on the stack (spill
// slots not yet written print "?"), methods, a generic function, an inlined call at the parking
// site, and two goroutines parked at the same PCs with different words. On SIGUSR2 it prints its own runtime.Stack(all) between "STACKS BEGIN" and
// "STACKS END". It says "READY pid=… go=…" once every goroutine is parked (seen in its own
// dump), and exits when stdin closes.
package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
)

var block = make(chan struct{})

type point struct {
	x, y int
	z    float64
}

type l6 struct{ v int }
type l5 struct{ in l6 }
type l4 struct{ in l5 }
type l3 struct{ in l4 }
type l2 struct{ in l3 }
type l1 struct{ in l2 }

// far's x lies 320 bytes in: past the 250 an ArgInfo offset byte can say.
type far struct {
	pad [1][1][1][40]int
	x   int
}

type counter struct{ n int32 }

//go:noinline
func sized(a int, b int8, c int16, d int32, e uint8, f bool, g uint16, h int64) {
	<-block
	sink(a, b, c, d, e, f, g, h)
}

//go:noinline
func floats(a float64, b float32, c complex128) {
	<-block
	sink(a, b, c)
}

//go:noinline
func texts(s string, b []byte, e error, p *point) {
	<-block
	sink(s, b, e, p)
}

//go:noinline
func aggregate(p point, arr [3]int16, empty [0]int, q struct{}) {
	<-block
	sink(p, arr, empty, q)
}

//go:noinline
func deep(v l1, after int) {
	<-block
	sink(v, after)
}

//go:noinline
func many(a, b, c, d, e, f, g, h, i, j, k, l int) {
	<-block
	sink(a, b, c, d, e, f, g, h, i, j, k, l)
}

//go:noinline
func tooFar(f far, y int) {
	<-block
	sink(f, y)
}

//go:noinline
func (c counter) value(by int) {
	<-block
	sink(c, by)
}

//go:noinline
func (c *counter) pointer(s string) {
	<-block
	sink(c, s)
}

//go:noinline
func generic[T any](v T, n int) {
	<-block
	sink(v, n)
}

// twice parks two goroutines at the same PCs with different words: one group for --group.
//
//go:noinline
func twice(n int) {
	<-block
	sink(n)
}

// parkInlined is inlined into its caller, which stays the physical frame that prints words.
func parkInlined(n int) int {
	<-block
	return n + 1
}

//go:noinline
func callsInlined(a, b int) int {
	return parkInlined(a) + b
}

//go:noinline
func live(a, b int, s string) int {
	// a and s are used after the park: their spill slots are written before it.
	<-block
	return a + len(s)
}

var sunk []any

//go:noinline
func sink(v ...any) {
	sunk = append(sunk, v...)
}

func main() {
	parked := 0
	park := func(f func()) {
		parked++
		go f()
	}
	park(func() { sized(-1, -2, 300, -4, 250, true, 65535, 1<<40) })
	park(func() { floats(1.5, -2.25, complex(3, -4)) })
	park(func() { texts("hello", []byte("bytes"), io.EOF, &point{1, 2, 3}) })
	park(func() { aggregate(point{7, 8, 0.5}, [3]int16{-1, 2, 3}, [0]int{}, struct{}{}) })
	park(func() { deep(l1{l2{l3{l4{l5{l6{42}}}}}}, 43) })
	park(func() { many(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12) })
	park(func() { tooFar(far{x: 99}, 100) })
	park(func() { counter{5}.value(6) })
	park(func() { (&counter{7}).pointer("ptr") })
	park(func() { generic[string]("gen", 3) })
	park(func() { generic[point](point{1, 2, 3}, 4) })
	park(func() { callsInlined(10, 20) })
	park(func() { live(11, 12, "live") })
	for _, n := range []int{1, 2} {
		n := n
		park(func() { twice(n) })
	}

	// Ready once Go's own dump shows every one of them parked on the channel.
	for {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		if strings.Count(string(buf[:n]), "[chan receive]:") >= parked {
			break
		}
		runtime.Gosched()
	}

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
