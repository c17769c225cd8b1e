package dev.attachproof.linux;

import java.util.function.Function;

/**
 * The outcome of one system call: its value, or the errno it failed with. Either way it carries
 * the call's name (e.g. {@code "ptrace(PTRACE_SEIZE)"}), so the diagnosis can say which call
 * proved what.
 */
public sealed interface CallResult<T> {

    /** The call as a person would name it, e.g. {@code "process_vm_readv"}. */
    String call();

    /** The call succeeded with {@code value}. */
    record Ok<T>(String call, T value) implements CallResult<T> {}

    /** The call failed; {@code number} is the raw errno, for numbers {@link Errno} does not know. */
    record Failed<T>(String call, Errno errno, int number) implements CallResult<T> {
        public Failed(String call, int number) {
            this(call, Errno.of(number), number);
        }

        /** "ptrace(PTRACE_SEIZE): EPERM (Operation not permitted)". */
        public String describe() {
            String name = errno == Errno.UNKNOWN ? "errno " + number : errno.name();
            return call + ": " + name + " (" + errno.description() + ")";
        }
    }

    default boolean ok() {
        return this instanceof Ok;
    }

    /** The errno of a failed call; null when it succeeded. */
    default Errno errno() {
        return this instanceof Failed<T> f ? f.errno() : null;
    }

    /** The value, or a {@link SyscallException} naming the call and errno. */
    default T orElseThrow() {
        return switch (this) {
            case Ok<T> ok -> ok.value();
            case Failed<T> failed -> throw new SyscallException(failed);
        };
    }

    /** The same outcome with the value mapped; a failure passes through unchanged. */
    default <R> CallResult<R> map(Function<? super T, ? extends R> f) {
        return switch (this) {
            case Ok<T> ok -> new Ok<>(ok.call(), f.apply(ok.value()));
            case Failed<T> failed -> new Failed<>(failed.call(), failed.errno(), failed.number());
        };
    }
}
