// Command inlined is the oracle for the pclntab reader's inline-tree expansion. Small functions
// that the compiler inlines into each other (two and three levels deep, a method, a closure)
// capture the stack with runtime.Callers from inside the inlined code, and the program prints
// every PC it got with the frame runtime.CallersFrames makes of it:
//
//	stack NAME
//	pc 0x4a1b2c	FUNCTION	FILE	LINE	0xFRAMEPC	inlined|physical
//	end
//
// ("inlined" when Go's Frame.Func is nil, as it is for an inlined frame.) With -pcs it reads
// instruction PCs in hex from stdin, one a line, and prints for each the frame CallersFrames
// gives for it ("FUNCTION\tFILE\tLINE", or "?" outside every function), the way it expands a
// return address PC+1: the innermost logical function at PC, with its file and line. The
// functions with defer and recover give the reader's deferreturn offsets something to check.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

var buf [64]uintptr

// callers is runtime.Callers called through a variable: the call stays a call (runtime.Callers
// is itself inlinable), so leafVar stays small enough to be inlined into its callers.
var callers = runtime.Callers

func leafVar() []uintptr {
	n := callers(0, buf[:])
	return buf[:n]
}

func midVar() []uintptr {
	return leafVar()
}

func outerVar() []uintptr {
	return midVar()
}

// leafDirect calls runtime.Callers, which the compiler inlines into it: a frame of the
// standard library (another file) inlined into a function of this one.
func leafDirect() []uintptr {
	n := runtime.Callers(0, buf[:])
	return buf[:n]
}

func midDirect() []uintptr {
	return leafDirect()
}

func outerDirect() []uintptr {
	return midDirect()
}

//go:noinline
func capture() []uintptr {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(1, pcs)
	return pcs[:n]
}

func leaf() []uintptr {
	return capture()
}

func mid() []uintptr {
	return leaf()
}

func outer() []uintptr {
	return mid()
}

type point struct{ x, y int }

func (p point) at() []uintptr {
	return leaf()
}

//go:noinline
func threeDeep() []uintptr {
	return outerDirect()
}

//go:noinline
func viaVar() []uintptr {
	return outerVar()
}

//go:noinline
func viaCapture() []uintptr {
	return outer()
}

//go:noinline
func twoSites(second bool) []uintptr {
	a := mid()
	if second {
		return leaf()
	}
	return a
}

//go:noinline
func viaMethod() []uintptr {
	p := point{1, 2}
	return p.at()
}

//go:noinline
func viaClosure() []uintptr {
	return func() []uintptr {
		return mid()
	}()
}

//go:noinline
func recovers() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("recovered: %v", r)
		}
	}()
	var m map[string]int
	m["x"] = 1
	return nil
}

func main() {
	pcs := flag.Bool("pcs", false, "read PCs on stdin and print the frame Go gives each")
	flag.Parse()
	if *pcs {
		expand()
		return
	}
	if recovers() == nil {
		panic("no panic to recover from")
	}
	stacks := []struct {
		name string
		pcs  []uintptr
	}{
		{"threeDeep", append([]uintptr(nil), threeDeep()...)},
		{"viaVar", append([]uintptr(nil), viaVar()...)},
		{"viaCapture", viaCapture()},
		{"twoSitesFirst", twoSites(false)},
		{"twoSitesSecond", twoSites(true)},
		{"viaMethod", viaMethod()},
		{"viaClosure", viaClosure()},
	}
	out := bufio.NewWriter(os.Stdout)
	for _, s := range stacks {
		fmt.Fprintf(out, "stack %s\n", s.name)
		frames := runtime.CallersFrames(s.pcs)
		for i := 0; ; i++ {
			f, more := frames.Next()
			kind := "physical"
			if f.Func == nil {
				kind = "inlined"
			}
			// Every PC here lies in a Go function, so Next makes exactly one frame of each.
			fmt.Fprintf(out, "pc %#x\t%s\t%s\t%d\t%#x\t%s\n", s.pcs[i], f.Function, f.File, f.Line, f.PC, kind)
			if !more {
				break
			}
		}
		fmt.Fprintln(out, "end")
	}
	out.Flush()
}

func expand() {
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	for in.Scan() {
		line := strings.TrimSpace(in.Text())
		if line == "" {
			continue
		}
		pc, err := strconv.ParseUint(strings.TrimPrefix(line, "0x"), 16, 64)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bad pc:", line)
			os.Exit(2)
		}
		f, _ := runtime.CallersFrames([]uintptr{uintptr(pc) + 1}).Next()
		if f.Function == "" {
			fmt.Fprintln(out, "?")
			continue
		}
		fmt.Fprintf(out, "%s\t%s\t%d\n", f.Function, f.File, f.Line)
	}
	out.Flush()
}
