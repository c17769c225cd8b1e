/**
 * Restricting this process the ways a container or a sandbox restricts a debugger (a seccomp
 * filter, and later dropped capabilities and other uids), so that the doctor's predictions can
 * be tried for real: the attach matrix's child probes and the tests run the agent restricted.
 */
package dev.attachproof.probe;
