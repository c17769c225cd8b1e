#!/bin/sh
# Regenerates dev.attachproof.linux.generated.x86_64 and .aarch64 from attachproof.h with the
# jextract on PATH, one run per architecture (see README.md). Run from anywhere; needs jextract
# (openjdk/jextract, master), libclang 19's headers, and Debian's arm64 headers in /opt/arm64-headers.
#
#   regenerate.sh [SOURCE_ROOT]   (default: native-bindings/src/main/java; the bindings test
#                                  regenerates into a scratch folder and compares)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src="${1:-$here/../java}"
generated="$src/dev/attachproof/linux/generated"
# Both checks come before anything is deleted.
if ! command -v jextract >/dev/null; then
  echo "regenerate.sh: no jextract on PATH (README.md, 'Which jextract, which headers')" >&2
  exit 1
fi
if [ ! -d /opt/arm64-headers/usr/include/aarch64-linux-gnu ]; then
  echo "regenerate.sh: no arm64 headers in /opt/arm64-headers (README.md, 'Regenerating')" >&2
  exit 1
fi
for arch in x86_64 aarch64; do
  rm -rf "$generated/$arch"
  # jextract takes clang's --target only from compile_flags.txt in its working directory.
  (cd "$here/$arch" && jextract @"$here/common.args" @attachproof.args --output "$src" "$here/attachproof.h")
done
# jextract's output calls SymbolLookup.findOrThrow, new in Java 23; find(...).orElseThrow() is
# the same lookup with the same exception, and keeps the bindings loadable on Java 22.
sed -i 's/SYMBOL_LOOKUP\.findOrThrow(\("[^"]*"\))/SYMBOL_LOOKUP.find(\1).orElseThrow()/' \
  "$generated"/x86_64/*.java "$generated"/aarch64/*.java
