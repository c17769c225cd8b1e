/**
 * The Go linker's PC line table ({@code .gopclntab}): PC to function, file and line, without
 * DWARF or a symbol table, so it works on binaries built with {@code -ldflags=-s -w}. Formats of
 * Go 1.18-1.19 (magic 0xfffffff0) and 1.20 on (0xfffffff1) are read; their layouts are those of
 * src/runtime/symtab.go and src/debug/gosym/pclntab.go at those releases, and every answer is
 * checked against {@code go tool addr2line} on binaries built by real toolchains. Every offset
 * and count read from the table is checked against the section before it is used. What the
 * table does not hold (runtime.text in Go 1.26, the base of funcdata offsets) is read from the
 * module's {@code runtime.moduledata}, at the words {@link dev.attachproof.pclntab.ModuledataWords}
 * names: the binary's DWARF, else the table's format decides.
 */
package dev.attachproof.pclntab;
