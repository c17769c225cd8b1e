# A debugger's own profile, written for YamaKernelTest: everything a JVM needs, and ptrace rules
# for two peers only. It may trace unconfined processes (allowed: nothing on their side), and it
# asks to trace docker-default's, which the kernel refuses anyway: docker-default has no
# `ptrace (tracedby) peer=debugger` rule, and both profiles must agree (aa_may_ptrace).
profile debugger flags=(attach_disconnected,mediate_deleted) {
  network,
  capability,
  file,
  signal,
  ptrace (trace,read) peer=unconfined,
  ptrace (trace,read) peer=docker-default,
}
