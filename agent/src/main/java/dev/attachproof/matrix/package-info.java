/**
 * The attach matrix: the doctor's prediction tried for real under many settings at once. Each
 * setting is a child probe (the agent in its hidden {@code probe} mode) that restricts itself one
 * way, checks in /proc that the restriction holds for the thread that will call ptrace, predicts
 * with the doctor's rules from that thread's credentials, then attempts PTRACE_SEIZE and reads one
 * word. A probe that cannot apply its restriction says so and why: a row is never agreed on
 * without the restriction in place.
 */
package dev.attachproof.matrix;
