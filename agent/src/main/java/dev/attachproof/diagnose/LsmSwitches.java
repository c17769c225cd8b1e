package dev.attachproof.diagnose;

import dev.attachproof.procfs.FileRead;

/**
 * The LSM settings that /sys shows outside securityfs, read once with the tracer's facts:
 * whether AppArmor is on, SELinux's enforcing mode and its deny_ptrace boolean. Each is the
 * file's read, so a check can name the file and why it could not be read.
 */
public record LsmSwitches(FileRead appArmorEnabled, FileRead selinuxEnforce, FileRead selinuxDenyPtrace) {}
