/**
 * What the two front ends, the command line ({@code cli}) and the HTTP sidecar ({@code serve}),
 * ask of the engine, wired once: the live /proc, the system binding, the shared tracer thread,
 * the doctor on one Go process, a goroutine snapshot, the scan of visible Go processes. A target
 * that is missing or cannot be served is a {@link dev.attachproof.service.TargetException} with
 * one line naming the cause and the remedy; each front end turns it into its own answer (exit
 * status 2, an HTTP 404 or 422). Nothing here prints.
 */
package dev.attachproof.service;
