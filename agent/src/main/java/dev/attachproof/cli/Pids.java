package dev.attachproof.cli;

/** Parses a pid argument: a positive decimal number, or one clear line why not. */
final class Pids {
    private Pids() {}

    static int parse(String text) {
        try {
            int pid = Integer.parseInt(text.strip());
            if (pid > 0) {
                return pid;
            }
        } catch (NumberFormatException e) {
            // fall through to the message
        }
        throw new BadInputException("'" + text + "' is not a pid: give a process id, a positive number (see `attachproof ps`)");
    }
}
