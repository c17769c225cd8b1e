/**
 * Reading the kernel's evidence: /proc and /sys, through one reader whose root is configurable,
 * so every parser and every decision built on it can be tested on /proc trees recorded from real
 * systems (a host, containers under various settings, a kernel with Yama). Nothing here decides
 * anything; it parses what the kernel wrote, and says so when a file is missing or unreadable.
 */
package dev.attachproof.procfs;
