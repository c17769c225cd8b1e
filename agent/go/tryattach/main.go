// Command tryattach asks the kernel the question directly: PTRACE_SEIZE on a pid, then
// exit (which detaches). It prints "ok" or the errno name. Recorded /proc trees carry its
// answer as ground truth for the decision logic that predicts it.
//
// "tryattach -probes" makes the doctor's two seccomp probes instead, with this process's
// filter: PTRACE_GETSIGINFO on itself (ESRCH when allowed) and process_vm_readv of 8 bytes of
// its own memory ("ok" when allowed), printed as "ptrace=ESRCH" and "process_vm_readv=ok".
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"unsafe"
)

const (
	ptraceSeize      = 0x4206 // PTRACE_SEIZE, <sys/ptrace.h>
	ptraceGetSiginfo = 0x4202 // PTRACE_GETSIGINFO
	sysProcessVMRead = 310    // SYS_process_vm_readv, amd64
)

var names = map[syscall.Errno]string{
	syscall.EPERM: "EPERM", syscall.ESRCH: "ESRCH", syscall.EACCES: "EACCES",
	syscall.EIO: "EIO", syscall.EINVAL: "EINVAL", syscall.ENOSYS: "ENOSYS", syscall.EBUSY: "EBUSY",
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "-probes" {
		probes()
		return
	}
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
		fmt.Println(name(errno))
		os.Exit(1)
	}
	fmt.Println("ok")
}

func name(errno syscall.Errno) string {
	if n, ok := names[errno]; ok {
		return n
	}
	return "errno " + strconv.Itoa(int(errno))
}

func probes() {
	var info [128]byte
	_, _, errno := syscall.RawSyscall6(syscall.SYS_PTRACE, ptraceGetSiginfo, uintptr(os.Getpid()), 0,
		uintptr(unsafe.Pointer(&info[0])), 0, 0)
	fmt.Println("ptrace=" + outcome(errno))
	src, dst := uint64(0x6174746163687072), uint64(0)
	local := [2]uintptr{uintptr(unsafe.Pointer(&dst)), 8}
	remote := [2]uintptr{uintptr(unsafe.Pointer(&src)), 8}
	_, _, errno = syscall.Syscall6(sysProcessVMRead, uintptr(os.Getpid()), uintptr(unsafe.Pointer(&local)), 1,
		uintptr(unsafe.Pointer(&remote)), 1, 0)
	fmt.Println("process_vm_readv=" + outcome(errno))
}

func outcome(errno syscall.Errno) string {
	if errno == 0 {
		return "ok"
	}
	return name(errno)
}
