/**
 * The launch configuration that will work from here: {@code attachproof vscode PID}. VS Code's Go
 * extension attaches one of two ways: {@code "mode": "local"} (it runs {@code dlv dap} on this
 * host, which must be allowed to ptrace the target) or {@code "mode": "remote"} (it connects to a
 * headless Delve started beside the target, in a sidecar or {@code kubectl debug} container).
 * {@link dev.attachproof.vscode.TargetPlace} says where the target runs as seen from here,
 * {@link dev.attachproof.vscode.DelveBeside} writes the command that starts Delve next to it, and
 * {@link dev.attachproof.vscode.SourceMap} computes {@code substitutePath} from the binary's own
 * source file names (its pclntab) against the workspace, since breakpoints never bind when the
 * paths the binary was built from are not the editor's. {@link dev.attachproof.vscode.LaunchAdvice}
 * joins them with the doctor's verdict.
 */
package dev.attachproof.vscode;
