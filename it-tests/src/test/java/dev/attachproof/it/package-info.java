/**
 * Container tests: the agent image ({@code attachproof/agent:local}) runs beside Go targets built
 * FROM scratch, in the target's PID namespace ({@code --pid=container:ID}, as a Kubernetes pod
 * with {@code shareProcessNamespace} does), under varied capabilities, seccomp profiles, users
 * and no_new_privs. Each case asserts what the kernel answers to the proof, derived from the
 * kernel's rules, and that the doctor predicted it. Images are built without any registry by
 * {@code containers/build-images.sh}, which {@link dev.attachproof.it.Images} runs once per test
 * JVM (a few seconds when nothing changed). The sidecars and reports are the published library's
 * ({@link dev.attachproof.testcontainers}), which these tests use as its users do; {@code
 * AttachabilityExampleTest}, {@code LeakCheckTest} and {@code ExampleProjectTest} test the library
 * itself, the last one as a separate Maven project that depends on the installed artifact.
 *
 * <p>And kernel tests under qemu's software emulation ({@link dev.attachproof.it.QemuVm}, a
 * machine per {@link dev.attachproof.it.GuestArch}): Debian's kernel, an initramfs whose Go init
 * (src/test/go) runs the agent and prints its results on the console, judged here. {@code
 * YamaKernelTest} on amd64 (Yama's four scopes), {@code Arm64KernelTest} on arm64 (the doctor,
 * the matrix and every release's goroutines against Go's own dump).
 */
package dev.attachproof.it;
