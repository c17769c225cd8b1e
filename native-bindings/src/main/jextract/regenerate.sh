#!/bin/sh
# Regenerates dev.attachproof.linux.generated from attachproof.h with the jextract on PATH.
# Run from anywhere; needs jextract (openjdk/jextract, master) and libclang 19's headers.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src="$here/../java"
rm -rf "$src/dev/attachproof/linux/generated"
jextract @"$here/attachproof.args" --output "$src" "$here/attachproof.h"
# jextract's output calls SymbolLookup.findOrThrow, new in Java 23; find(...).orElseThrow() is
# the same lookup with the same exception, and keeps the bindings loadable on Java 22.
sed -i 's/SYMBOL_LOOKUP\.findOrThrow(\("[^"]*"\))/SYMBOL_LOOKUP.find(\1).orElseThrow()/' \
  "$src"/dev/attachproof/linux/generated/*.java
