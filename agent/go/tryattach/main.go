// Command tryattach asks the kernel the question directly: PTRACE_SEIZE on a pid, then
// exit (which detaches). It prints "ok" or the errno name. Recorded /proc trees carry its
// answer as ground truth for the decision logic that predicts it.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
)

const ptraceSeize = 0x4206 // PTRACE_SEIZE, <sys/ptrace.h>

var names = map[syscall.Errno]string{
	syscall.EPERM: "EPERM", syscall.ESRCH: "ESRCH", syscall.EACCES: "EACCES",
	syscall.EIO: "EIO", syscall.EINVAL: "EINVAL", syscall.ENOSYS: "ENOSYS", syscall.EBUSY: "EBUSY",
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: tryattach PID")
		os.Exit(2)
	}
	pid, err := strconv.Atoi(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "tryattach: not a pid:", os.Args[1])
		os.Exit(2)
	}
	runtime.LockOSThread() // the tracer is this thread
	_, _, errno := syscall.RawSyscall6(syscall.SYS_PTRACE, ptraceSeize, uintptr(pid), 0, 0, 0, 0)
	if errno != 0 {
		name, ok := names[errno]
		if !ok {
			name = "errno " + strconv.Itoa(int(errno))
		}
		fmt.Println(name)
		os.Exit(1)
	}
	fmt.Println("ok")
}
