# Runs as root inside the Yama VM (containers/qemu/yama-vm.sh), with /w holding the static Go
# target and tryattach and record-proc.sh. Records one /proc tree per (ptrace_scope, tracer)
# into /out/NAME, each with the kernel's answers (tryattach, same credentials as the recorder)
# and the seccomp probes. No target descends from a tracer: they are started through su, whose
# shell exits, so they are reparented to init. Scope 3 cannot be lowered again: it comes last.
set -u
K=$(cat /proc/sys/kernel/osrelease)
echo "lsm: $(cat /sys/kernel/security/lsm)"

as() { # WHO CMD...: run as root, or as uid 1000 without capabilities
  who=$1; shift
  if [ "$who" = root ]; then "$@"; else su -s /bin/sh user -c "$*"; fi
}
start_target() { # OUTFILE ARGS...: a uid-1000 Go target; prints its pid
  f=$1; shift
  su -s /bin/sh user -c "/w/target -hold forever $* > $f 2>&1 &"
  for i in $(seq 1 100); do
    p=$(sed -n 's/READY pid=\([0-9]*\).*/\1/p' "$f" 2>/dev/null)
    [ -n "$p" ] && break
    sleep 0.1
  done
  echo "$p"
}
record() { # NAME SCOPE WHO
  name=$1; scope=$2; who=$3
  echo "$scope" > /proc/sys/kernel/yama/ptrace_scope
  d=/tmp/rec-$name
  as "$who" /w/record-proc.sh "$d" "$P1" "$P2"
  {
    echo "scenario: $name, Yama ptrace_scope $scope, kernel $K under qemu (containers/proc-recorder/record-yama.sh)"
    echo "recorder: $who (proc/self); lines with tracer=self were tried with its credentials; no target descends from it"
    echo "target $P1: uid 1000, dumpable"
    echo "target $P2: uid 1000, dumpable, PR_SET_PTRACER_ANY (invisible in /proc)"
    for p in "$P1" "$P2"; do
      echo "observed PID=$p tracer=self tryattach=$(as "$who" /w/tryattach "$p")"
    done
  } > "$d/SCENARIO.txt"
  as "$who" /w/tryattach -probes > "$d/probes.txt"
  mkdir -p "/out/$name"
  cp -a "$d/." "/out/$name/"
  echo "recorded $name"
}

P1=$(start_target /tmp/t1.out)
P2=$(start_target /tmp/t2.out -ptracer -1)
echo "targets: $P1 $P2"
if [ -z "$P1" ] || [ -z "$P2" ]; then
  echo "record-yama: the targets did not start"
  exit 1
fi
record yama-0-user 0 user
record yama-1-user 1 user
record yama-1-root 1 root
record yama-2-user 2 user
record yama-2-root 2 root
record yama-3-root 3 root
