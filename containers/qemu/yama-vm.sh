#!/usr/bin/env bash
# Boots Debian's linux-image-amd64 kernel (it has Yama; many hosts' kernels do not) under
# qemu's software emulation with a small initramfs, runs a payload script in it as root, and
# brings back what the payload wrote to /out.
#
#   yama-vm.sh PAYLOAD.sh FILES_DIR OUT_DIR
#
# FILES_DIR is copied to /w in the VM (static binaries, scripts); the payload runs with /proc,
# /sys, securityfs and a tmpfs /tmp mounted, then the VM powers off. /out comes back as a tar,
# base64 on the serial console between two marker lines. Installs qemu-system-x86,
# linux-image-amd64 and busybox-static from Debian when missing. Bounded: 300 s.
set -euo pipefail
payload="$(readlink -f "$1")"; files="$(readlink -f "$2")"; out="$3"
export DEBIAN_FRONTEND=noninteractive
need=()
command -v qemu-system-x86_64 >/dev/null 2>&1 || need+=(qemu-system-x86)
ls /boot/vmlinuz-* >/dev/null 2>&1 || need+=(linux-image-amd64)
ldd /bin/busybox 2>&1 | grep -q 'not a dynamic executable' || need+=(busybox-static)
command -v cpio >/dev/null 2>&1 || need+=(cpio)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
kernel="$(ls /boot/vmlinuz-* | sort -V | tail -1)"

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,proc,sys,tmp,out,etc,w,dev}
chmod 755 "$root" "$root"/{bin,proc,sys,out,etc,w}   # mktemp made / 0700: uid 1000 could not run a thing
cp /bin/busybox "$root/bin/busybox"
cp -r "$files"/. "$root/w/"
cp "$payload" "$root/payload.sh"
printf 'root:x:0:0:root:/:/bin/sh\nuser:x:1000:1000:user:/tmp:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\nuser:x:1000:\n' > "$root/etc/group"
cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs dev /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t securityfs none /sys/kernel/security
mount -t tmpfs tmp /tmp
chmod 1777 /tmp
chmod 755 /w /w/*
sh /payload.sh > /out/payload.log 2>&1
echo "=====BEGIN OUT====="
tar -C /out -cf - . | base64
echo "=====END OUT====="
poweroff -f
INIT
chmod 755 "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$root.cpio.gz"

console="$(mktemp)"
start=$(date +%s)
timeout 300 qemu-system-x86_64 -accel tcg -m 768 -smp 1 -nographic -no-reboot \
  -kernel "$kernel" -initrd "$root.cpio.gz" \
  -append "console=ttyS0 quiet panic=-1 rdinit=/init" > "$console" 2>&1 || true
rm -f "$root.cpio.gz"
echo "yama-vm: $(basename "$kernel") booted, ran the payload and powered off in $(( $(date +%s) - start )) s" >&2
mkdir -p "$out"
if ! sed -n '/=====BEGIN OUT=====/,/=====END OUT=====/p' "$console" | sed '1d;$d' | tr -d '\r' | base64 -d | tar -C "$out" -xf -; then
  echo "yama-vm: no output came back from the VM; its console said:" >&2
  tail -20 "$console" >&2
  rm -f "$console"
  exit 1
fi
rm -f "$console"
