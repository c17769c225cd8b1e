/**
 * A real seccomp filter ({@link dev.attachproof.probe.SeccompFilter}), classic BPF that answers
 * the syscalls it names with an errno, installed on this process so that the doctor's seccomp
 * prediction can be tried for real: the attach matrix's probe processes ({@code
 * dev.attachproof.matrix.Probe}) and the hidden {@code restricted} command the tests run the agent
 * under. The other restrictions a container imposes on a debugger (a dropped CAP_SYS_PTRACE,
 * another uid, no_new_privs) are not here: they are per-thread changes the matrix's probe makes
 * on its tracer thread alone, with the calls of {@code dev.attachproof.linux}.
 */
package dev.attachproof.probe;
