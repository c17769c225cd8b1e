package dev.attachproof.linux;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout.PathElement;

/**
 * The general registers PTRACE_GETREGSET returns for NT_PRSTATUS, read as 8-byte words: how many
 * bytes the set has, and which words hold the program counter and the stack pointer. Taken from
 * the generated layout of the arch's {@code struct user_regs_struct}, never counted by hand.
 */
public record RegisterSet(long size, int programCounterWord, int stackPointerWord) {

    static RegisterSet of(GroupLayout userRegs, String programCounter, String stackPointer) {
        return new RegisterSet(userRegs.byteSize(), word(userRegs, programCounter), word(userRegs, stackPointer));
    }

    private static int word(GroupLayout userRegs, String register) {
        return (int) (userRegs.byteOffset(PathElement.groupElement(register)) / Long.BYTES);
    }
}
