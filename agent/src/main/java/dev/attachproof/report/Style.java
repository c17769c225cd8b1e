package dev.attachproof.report;

import dev.attachproof.diagnose.Status;

/** ANSI colour when writing to a terminal, plain text otherwise (and when NO_COLOR is set). */
public record Style(boolean color) {

    public static Style forConsole() {
        return new Style(System.console() != null && System.console().isTerminal() && System.getenv("NO_COLOR") == null);
    }

    public String status(Status s) {
        String word = switch (s) {
            case PASS -> "pass";
            case WARN -> "warn";
            case FAIL -> "FAIL";
            case SKIP -> "skip";
        };
        String code = switch (s) {
            case PASS -> "32";
            case WARN -> "33";
            case FAIL -> "1;31";
            case SKIP -> "2";
        };
        return paint(code, String.format("%-4s", word));
    }

    public String bold(String s) {
        return paint("1", s);
    }

    public String dim(String s) {
        return paint("2", s);
    }

    public String green(String s) {
        return paint("1;32", s);
    }

    public String red(String s) {
        return paint("1;31", s);
    }

    private String paint(String code, String s) {
        return color ? "\u001b[" + code + "m" + s + "\u001b[0m" : s;
    }
}
