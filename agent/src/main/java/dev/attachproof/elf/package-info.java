/**
 * Reading executables without running them: ELF64 headers, sections, segments, symbols, notes
 * and (decompressed) debug sections; the Go build info is {@code dev.attachproof.buildinfo}'s,
 * pclntab {@code dev.attachproof.pclntab}'s, DWARF {@code dev.attachproof.dwarf}'s. Files are untrusted input:
 * every offset and length read from one is checked against the file before it sizes anything,
 * and a malformed file is an {@link dev.attachproof.elf.ElfFormatException}, never a crash.
 */
package dev.attachproof.elf;
