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
        String wanted = System.getProperty("attachproof.binding", "");
        if (wanted.equals("jna")) {
            return new JnaLinux();
        }
        if (!LinuxBindings.class.getModule().isNativeAccessEnabled() && !wanted.equals("ffm")) {
            // Without --enable-native-access (or the jar's Enable-Native-Access), FFM's restricted
            // methods warn now and will be denied later: JNA does the same work without them.
            return new JnaLinux();
        }
        return new FfmLinux();
    }
}
