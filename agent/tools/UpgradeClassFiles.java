import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Rewrites the classes under a package prefix in a jar, in place, from class file versions older
 * than 50 (Java 6) to 52 (Java 8), with stack maps computed anew. Run by the agent's build on a
 * JDK of 24 or later (the java.lang.classfile API), as a source-file program:
 *
 * <pre>java agent/tools/UpgradeClassFiles.java target/attachproof.jar picocli/</pre>
 *
 * Why: picocli is compiled for Java 5 (version 49). Java's AOT cache (and CDS before it) cannot
 * hold classes older than version 50, so the JVM loads and verifies picocli's 200-odd classes
 * from the jar on every run, some 40 ms of each command. Upgraded, they come from the cache.
 * The bytecode is unchanged; only the version and the StackMapTable attributes are new.
 */
public final class UpgradeClassFiles {
    private static final int OLDEST_ARCHIVABLE = 50;
    private static final int TARGET = 52;

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: java UpgradeClassFiles.java JAR PACKAGE-PREFIX/");
            System.exit(2);
        }
        Path jar = Path.of(args[0]);
        String prefix = args[1];
        Path out = jar.resolveSibling(jar.getFileName() + ".upgrading");
        int upgraded = 0;
        try (URLClassLoader hierarchy = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null);
             ZipInputStream in = new ZipInputStream(Files.newInputStream(jar));
             ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(out))) {
            ClassFile cf = ClassFile.of(ClassFile.StackMapsOption.GENERATE_STACK_MAPS,
                    ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver.defaultResolver()
                            .orElse(ClassHierarchyResolver.ofResourceParsing(hierarchy))));
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                byte[] bytes = in.readAllBytes();
                if (e.getName().startsWith(prefix) && e.getName().endsWith(".class")) {
                    ClassModel model = cf.parse(bytes);
                    if (model.majorVersion() < OLDEST_ARCHIVABLE) {
                        // Every method body re-emitted, so that its stack map is generated.
                        bytes = cf.transformClass(model, ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
                                .andThen((b, element) -> {
                                    if (element instanceof ClassFileVersion) {
                                        b.withVersion(TARGET, 0);
                                    } else {
                                        b.with(element);
                                    }
                                }));
                        upgraded++;
                    }
                }
                ZipEntry copy = new ZipEntry(e.getName());
                copy.setTime(e.getTime());
                zip.putNextEntry(copy);
                zip.write(bytes);
                zip.closeEntry();
            }
        }
        Files.move(out, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.out.println("UpgradeClassFiles: " + upgraded + " classes under " + prefix + " upgraded to version " + TARGET);
    }
}
