/*
 * The pod sandbox's first process, as Kubernetes' own pause (kubernetes/build/pause/linux/pause.c)
 * does it: hold the pod's namespaces, reap the zombies of a shared PID namespace, leave on SIGINT
 * or SIGTERM. In C, not Go, as in real clusters: in a pod with shareProcessNamespace it is pid 1,
 * and `attachproof ps` must not count it among the pod's Go programs.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void leave(int sig) { _exit(0); }

static void reap(int sig) {
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
}

int main(void) {
    struct sigaction quit = {.sa_handler = leave};
    struct sigaction child = {.sa_handler = reap, .sa_flags = SA_NOCLDSTOP};
    if (sigaction(SIGINT, &quit, NULL) < 0 || sigaction(SIGTERM, &quit, NULL) < 0
        || sigaction(SIGCHLD, &child, NULL) < 0) {
        return 1;
    }
    for (;;) {
        pause();
    }
}
