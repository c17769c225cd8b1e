package dev.attachproof.linux;

import org.junit.jupiter.api.Test;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The x86_64 and aarch64 generations must agree wherever the two LP64 ABIs do, because
 * {@link LinuxConstants} and {@link FfmLinux} read only the x86_64 one for those: every constant
 * but the syscall numbers (ptrace requests and options, PR_*, SECCOMP_*, BPF_*, W*, signals,
 * errno values, capabilities, NT_PRSTATUS), every function descriptor, every struct but the
 * register set. And they must differ where the ABIs do: every SYS_* number. A regeneration on
 * other headers that broke either rule fails here, not on an arm64 machine.
 */
class SharedAbiTest {
    private static final String X86_64 = "dev.attachproof.linux.generated.x86_64.";
    private static final String AARCH64 = "dev.attachproof.linux.generated.aarch64.";
    /** The generated structs the facade uses on both arches (user_regs_struct is Platform's). */
    private static final List<String> SHARED_STRUCTS = List.of("iovec", "sock_filter", "sock_fprog",
            "seccomp_data", "__user_cap_header_struct", "__user_cap_data_struct");

    @Test
    void everyConstantButTheSyscallNumbersIsTheSameOnBothArches() throws Exception {
        Map<String, Object> x86 = constants(X86_64);
        Map<String, Object> arm = constants(AARCH64);
        assertEquals(x86.keySet(), arm.keySet(), "both generations have the same constants");
        assertTrue(x86.keySet().containsAll(List.of("PTRACE_GETREGSET", "NT_PRSTATUS", "SECCOMP_RET_ERRNO",
                "BPF_JEQ", "__WALL", "SIGSTOP", "EPERM", "SYS_ptrace")), "the constants were found: " + x86.keySet());
        for (String name : x86.keySet()) {
            if (name.startsWith("SYS_")) {
                assertNotEquals(x86.get(name), arm.get(name), name + " is numbered per arch");
            } else {
                assertEquals(x86.get(name), arm.get(name), name);
            }
        }
    }

    @Test
    void everyFunctionHasTheSameDescriptorOnBothArches() throws Exception {
        Map<String, FunctionDescriptor> x86 = descriptors(X86_64);
        assertTrue(x86.keySet().containsAll(List.of("waitpid", "process_vm_readv", "ptrace", "syscall", "prctl")),
                "the functions were found: " + x86.keySet());
        assertEquals(x86, descriptors(AARCH64));
    }

    @Test
    void everySharedStructHasTheSameLayoutOnBothArches() throws Exception {
        for (String struct : SHARED_STRUCTS) {
            assertEquals(layout(X86_64 + struct), layout(AARCH64 + struct), struct);
        }
        assertNotEquals(layout(X86_64 + "user_regs_struct"), layout(AARCH64 + "user_regs_struct"));
    }

    /** Every #define and enum constant: LinuxHeaders' static no-argument int or long methods that are not functions. */
    private static Map<String, Object> constants(String pkg) throws Exception {
        Class<?> headers = Class.forName(pkg + "LinuxHeaders");
        Map<String, Object> values = new TreeMap<>();
        for (Method m : headers.getDeclaredMethods()) {
            boolean constant = Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers())
                    && m.getParameterCount() == 0 && (m.getReturnType() == int.class || m.getReturnType() == long.class);
            if (constant && !isFunction(headers, m.getName())) {
                values.put(m.getName(), m.invoke(null));
            }
        }
        return values;
    }

    /** A function has an address beside it (getpid$address()); a constant does not. */
    private static boolean isFunction(Class<?> headers, String name) {
        try {
            headers.getMethod(name + "$address");
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    /**
     * Each function's descriptor: name$descriptor() for fixed ones; for variadic ones (nested
     * classes, ptrace/prctl/syscall), the descriptor of the invoker with no variadic arguments.
     */
    private static Map<String, FunctionDescriptor> descriptors(String pkg) throws Exception {
        Class<?> headers = Class.forName(pkg + "LinuxHeaders");
        Map<String, FunctionDescriptor> found = new TreeMap<>();
        for (Method m : headers.getMethods()) {
            if (m.getName().endsWith("$descriptor") && m.getDeclaringClass() == headers) {
                found.put(m.getName().substring(0, m.getName().indexOf('$')), (FunctionDescriptor) m.invoke(null));
            }
        }
        for (Class<?> variadic : headers.getClasses()) {
            Object invoker = variadic.getMethod("makeInvoker", MemoryLayout[].class).invoke(null, (Object) new MemoryLayout[0]);
            found.put(variadic.getSimpleName(), (FunctionDescriptor) variadic.getMethod("descriptor").invoke(invoker));
        }
        return found;
    }

    private static MemoryLayout layout(String struct) throws Exception {
        return (MemoryLayout) Class.forName(struct).getMethod("layout").invoke(null);
    }
}
