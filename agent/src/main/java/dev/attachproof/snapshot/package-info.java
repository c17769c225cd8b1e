/**
 * Goroutine snapshots of a live Go process from outside it: the binary's readers say where the
 * goroutine list is and how to read it (pclntab, layout by Go release, the allgs locator); the
 * tracer stops every thread, the goroutines and their stacks are read from memory and from the
 * registers of the threads running them, and the target runs on. The formats live in
 * {@code report}. What a stopped read read can be saved ({@code TargetCapture}) and read again with
 * no process: the unit tests replay real targets' captures, of any CPU, anywhere.
 */
package dev.attachproof.snapshot;
