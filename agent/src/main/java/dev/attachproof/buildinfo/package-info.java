/**
 * The Go build info a Go linker writes into {@code .go.buildinfo} (or finds in a writable
 * segment when the section headers are gone): Go version, main package and module, dependencies
 * and build settings, in the 1.18+ inline encoding and the older pointer encoding. The same facts
 * {@code go version -m} prints. The file is untrusted input: every length is bounded before it
 * sizes anything.
 */
package dev.attachproof.buildinfo;
