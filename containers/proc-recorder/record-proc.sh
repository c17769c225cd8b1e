#!/bin/sh
# Records the parts of /proc and /sys that attachproof's checks read, as a tree that
# the agent's ProcFs reader can open with a different root (unit tests of the decision
# logic run on these trees). POSIX sh and busybox only, so it runs in a scratch container
# or a bare initramfs as well as on a host.
#
#   record-proc.sh OUTDIR [PID ...]     (default: every visible pid)
#
# Layout: OUTDIR/proc/... and OUTDIR/sys/... mirror the real paths. Symlinks (exe, ns/*)
# are stored as symlinks carrying the kernel's readlink text. git does not keep file
# owners, so the owner of /proc/PID/status (which the kernel gives to root while a process
# is not dumpable) is stored as OUTDIR/proc/PID/.owner ("uid gid"). OUTDIR/proc/self links to
# the recorder's own pid: the tracer side of a recorded tree.
set -u
out=${1:?usage: record-proc.sh OUTDIR [PID ...]}
shift
self=$$
mkdir -p "$out/proc" "$out/sys/kernel/security"

copy() { # copy one readable file, if present
  [ -r "$1" ] || return 0
  mkdir -p "$out$(dirname "$1")"
  cat "$1" > "$out$1" 2>/dev/null || rm -f "$out$1"
}
link() { # record a symlink by its readlink text
  t=$(readlink "$1" 2>/dev/null) || return 0
  mkdir -p "$out$(dirname "$1")"
  ln -sfn "$t" "$out$1"
}

for f in /proc/sys/kernel/yama/ptrace_scope /proc/sys/kernel/osrelease \
         /proc/sys/user/max_user_namespaces /proc/sys/kernel/unprivileged_userns_clone \
         /proc/sys/kernel/pid_max /sys/kernel/security/lsm /sys/module/apparmor/parameters/enabled \
         /sys/fs/selinux/enforce /sys/fs/selinux/booleans/deny_ptrace; do
  copy "$f"
done

if [ $# -eq 0 ]; then
  set -- $(ls /proc | grep -E '^[0-9]+$')
fi
for pid in "$self" "$@"; do
  d=/proc/$pid
  [ -d "$d" ] || continue
  for f in status stat cmdline comm uid_map gid_map setgroups loginuid \
           attr/current attr/apparmor/current; do
    copy "$d/$f"
  done
  for l in exe ns/pid ns/user ns/mnt ns/pid_for_children; do
    link "$d/$l"
  done
  [ -d "$out$d" ] && stat -c '%u %g' "$d/status" > "$out$d/.owner" 2>/dev/null
done
ln -sfn "$self" "$out/proc/self"

{
  echo "recorded: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "kernel: $(cat /proc/sys/kernel/osrelease 2>/dev/null)"
  echo "self: $self"
  echo "uid: $(id -u 2>/dev/null)"
} > "$out/RECORDED.txt"
