/*
 * The Linux declarations attachproof calls through FFM. jextract reads this header with the
 * filters in common.args and the per-arch args files (see README.md beside it), once per
 * architecture; the generated Java lives in dev.attachproof.linux.generated.x86_64 and
 * dev.attachproof.linux.generated.aarch64. Include only what the agent calls.
 */
#define _GNU_SOURCE           /* process_vm_readv, gettid, tgkill, getresuid/getresgid, __WALL */

#include <sys/ptrace.h>       /* ptrace(); the PTRACE_* requests (enum __ptrace_request), and via
                                 bits/ptrace-shared.h the PTRACE_O_* options and PTRACE_EVENT_* */
/* <linux/ptrace.h> is deliberately NOT included: it re-#defines every PTRACE_* name that
   <sys/ptrace.h> declares as an enum constant; everything we need comes from <sys/ptrace.h>. */
#include <sys/wait.h>         /* waitpid(), waitid(), idtype_t/P_PID, WNOHANG, __WALL and other W* */
#include <sys/uio.h>          /* process_vm_readv(), struct iovec */
#include <sys/prctl.h>        /* prctl(), PR_* options (dumpable, ptracer, no_new_privs, caps) */
#include <sys/syscall.h>      /* SYS_* numbers for syscall(): seccomp, capget, capset, ... */
#include <sys/user.h>         /* struct user_regs_struct: the NT_PRSTATUS register set */
#include <elf.h>              /* NT_PRSTATUS, the register set PTRACE_GETREGSET reads */
#include <signal.h>           /* kill(), tgkill(), SIG* numbers, siginfo_t (PTRACE_GETSIGINFO) */
#include <unistd.h>           /* syscall(), getpid(), gettid(), get[e]uid/get[e]gid, getres[ug]id */
#include <errno.h>            /* E* numbers to interpret captured errno */
#include <linux/seccomp.h>    /* SECCOMP_* modes, flags, return actions; struct seccomp_data */
#include <linux/filter.h>     /* struct sock_filter, struct sock_fprog, BPF_* opcodes */
#include <linux/capability.h> /* capget/capset header and data structs, _LINUX_CAPABILITY_*, CAP_* */
#include <linux/audit.h>      /* AUDIT_ARCH_X86_64 / AUDIT_ARCH_AARCH64 for the seccomp arch check */
