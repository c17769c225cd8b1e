package dev.attachproof.snapshot;

import dev.attachproof.cache.BinaryCache;
import dev.attachproof.elf.ElfFile;
import dev.attachproof.elf.ElfFormatException;
import dev.attachproof.golang.BinaryFindings;
import dev.attachproof.golang.BinaryFindingsCodec;
import dev.attachproof.golang.GoRuntime;
import dev.attachproof.golang.GoroutineList;
import dev.attachproof.pclntab.Pclntab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A binary's runtime and goroutine list: as an earlier snapshot of the same file found them,
 * when the cache holds them whole, else found in the binary (its DWARF scanned, its symbols and
 * tables searched) and stored for the next snapshot. Nothing of the process is cached (load
 * bias, GODEBUG, mappings): the snapshot reads those each time. On the bench target the binary
 * phase took 131 ms median without the cache and 72 ms with it (README, "Numbers"); on a 33 MB
 * binary with DWARF, 160 against 96.
 */
final class CachedFindings {
    private CachedFindings() {}

    /**
     * @param runtime the binary's runtime
     * @param list    where its goroutine list is; empty when no way finds it, or when the
     *                runtime has no layout (then it was not looked for: that is the error to say)
     * @param use     whether the cache served
     */
    record Found(GoRuntime runtime, Optional<GoroutineList> list, CacheUse use) {}

    /**
     * What names {@code elf}, mapped from {@code file}, in the cache: its Go and GNU build ids
     * ("" when it has none, or its notes are damaged), the file's size and modification time.
     */
    static BinaryCache.Key key(ElfFile elf, Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        return new BinaryCache.Key(idOrEmpty(elf::goBuildId), idOrEmpty(elf::gnuBuildId), a.size(),
                a.lastModifiedTime().to(TimeUnit.NANOSECONDS));
    }

    /** A build id as {@link ElfFile} reads it. */
    @FunctionalInterface
    private interface BuildId {
        Optional<String> read() throws ElfFormatException;
    }

    private static String idOrEmpty(BuildId id) {
        try {
            return id.read().orElse("");
        } catch (ElfFormatException e) {
            return "";
        }
    }

    /** The findings of {@code elf}, a Go binary of release {@code major.minor} (-1, -1: a development build). */
    static Found of(ElfFile elf, int major, int minor, BinaryCache cache, BinaryCache.Key key) throws ElfFormatException {
        Optional<BinaryFindings> known = cache.load(key).flatMap(BinaryFindingsCodec::decode);
        if (known.isPresent()) {
            BinaryFindings k = known.get();
            GoRuntime runtime = GoRuntime.of(elf, major, minor, Pclntab.of(elf, k.pclntab()), k.layouts());
            return new Found(runtime, Optional.of(k.list()), CacheUse.HIT);
        }
        GoRuntime runtime = GoRuntime.withLayouts(elf, major, minor);
        if (runtime.layouts().layout().isEmpty()) {
            return new Found(runtime, Optional.empty(), CacheUse.OFF);
        }
        Optional<GoroutineList> list = GoroutineList.locate(elf, runtime.pclntab());
        boolean stored = list.isPresent() && cache.accepts(key) && BinaryFindings.of(runtime, list.get())
                .flatMap(BinaryFindingsCodec::encode).map(bytes -> cache.store(key, bytes)).orElse(false);
        return new Found(runtime, list, stored ? CacheUse.MISS : CacheUse.OFF);
    }
}
