/*
 * The Linux declarations attachproof calls through FFM. jextract reads this header (see
 * README.md beside it); the generated Java lives in dev.attachproof.linux.generated.
 */
#define _GNU_SOURCE         /* process_vm_readv, gettid, tgkill, getresuid/getresgid */
#include <sys/ptrace.h>     /* ptrace(), PTRACE_* requests, options and events */
#include <sys/wait.h>       /* waitpid(), waitid(), W* options */
#include <sys/uio.h>        /* process_vm_readv(), struct iovec */
#include <sys/prctl.h>      /* prctl(), PR_* options */
#include <sys/syscall.h>    /* SYS_* numbers for syscall(): seccomp, capget, capset */
#include <sys/user.h>       /* struct user_regs_struct */
#include <signal.h>         /* kill(), SIG* numbers, siginfo_t */
#include <unistd.h>         /* syscall(), getpid(), getresuid() and friends */
#include <errno.h>          /* E* numbers */
#include <linux/seccomp.h>  /* SECCOMP_* modes, flags, return actions, struct seccomp_data */
#include <linux/filter.h>   /* struct sock_filter, struct sock_fprog, BPF_* opcodes */
#include <linux/capability.h> /* capability header and data structs, CAP_* numbers */
#include <linux/audit.h>    /* AUDIT_ARCH_* for the seccomp architecture check */
