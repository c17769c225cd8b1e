package dev.attachproof.diagnose;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The process chosen for a container named by its id ({@link ContainerProcesses#choose}), and
 * what the choice was made among: what the command line says on standard error and the doctor
 * and goroutines documents carry as {@code "container"}.
 *
 * @param id         the container's full id
 * @param pid        the chosen process, as pids are seen here
 * @param exe        its executable (the text of /proc/PID/exe)
 * @param processes  how many processes the container has here
 * @param goPrograms how many of them are Go programs
 */
public record ContainerTarget(String id, int pid, String exe, Chosen chosen, int processes, int goPrograms) {
    /** Why this process: the container's init, or (its init not Go) its oldest Go process. */
    public enum Chosen {
        INIT("init", "its init process"),
        OLDEST_GO("oldest Go process", "its oldest Go process (its init process is not Go)");

        private final String word;
        private final String words;

        Chosen(String word, String words) {
            this.word = word;
            this.words = words;
        }

        /** As the doctor and goroutines documents' {@code container.chosen} spells it. */
        @JsonValue
        public String word() {
            return word;
        }

        public String words() {
            return words;
        }
    }

    /** The id as {@code docker ps} and {@code crictl ps} show it: its first 12 digits. */
    public String shortId() {
        return id.substring(0, Math.min(12, id.length()));
    }

    /** One line: {@code container 1a2b3c4d5e6f: pid 4242 (/app/server), its init process; 3 processes, 1 Go program}. */
    public String describe() {
        return "container " + shortId() + ": pid " + pid + " (" + exe + "), " + chosen.words() + "; "
                + processes + (processes == 1 ? " process, " : " processes, ")
                + goPrograms + (goPrograms == 1 ? " Go program" : " Go programs");
    }
}
