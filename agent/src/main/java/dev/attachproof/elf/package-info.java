/**
 * Reading executables without running them: ELF64 headers, sections, segments and symbols, and
 * the Go build info a Go linker writes into {@code .go.buildinfo}. Files are untrusted input:
 * every offset and length read from one is checked against the file before it sizes anything,
 * and a malformed file is an {@link dev.attachproof.elf.ElfFormatException}, never a crash.
 */
package dev.attachproof.elf;
