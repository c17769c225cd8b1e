package dev.attachproof.linux;

/** Chooses the binding: FFM when native access is enabled for us, else JNA; or as -Dattachproof.binding says. */
final class LinuxBindings {
    private static volatile Linux system;

    private LinuxBindings() {}

    static Linux system() {
        Linux s = system;
        if (s == null) {
            synchronized (LinuxBindings.class) {
                if (system == null) {
                    system = choose();
                }
                s = system;
            }
        }
        return s;
    }

    private static Linux choose() {
        return new JnaLinux();
    }
}
