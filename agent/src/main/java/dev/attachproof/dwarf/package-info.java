/**
 * A DWARF 4 and 5 reader, as much of it as attachproof needs from a Go binary: unit headers,
 * abbreviations, every attribute form (so any producer's DIEs can be walked), and from those the
 * layouts of named structs, the addresses of named variables and the values of named constants.
 * Debug sections come decompressed from {@link dev.attachproof.elf.ElfFile#debugSection}. Input
 * is untrusted: every offset and length is checked before use and garbage raises
 * {@link dev.attachproof.elf.ElfFormatException} with a one-line reason.
 */
package dev.attachproof.dwarf;
