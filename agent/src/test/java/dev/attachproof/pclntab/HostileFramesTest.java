package dev.attachproof.pclntab;

import dev.attachproof.elf.ElfFile;
import dev.attachproof.elf.ElfFormatException;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Corrupted copies of agent/go/inlined, aimed at what the inline expansion, funcInfo and spDelta
 * read besides the line tables: the _func records and pcdata/funcdata offsets of the main
 * package, the inline trees under go:func.*, and moduledata. Each reader either answers or throws
 * ElfFormatException; nothing else (IndexOutOfBounds, OutOfMemoryError, a hang). Seeded.
 */
class HostileFramesTest {

    @ParameterizedTest(name = "{0} stripped={1}")
    @MethodSource("dev.attachproof.testing.GoFixture#toolchainMatrix")
    void corruptedTreesAndRecordsAreFormatErrorsOrAnswers(String toolchain, boolean stripped) throws Exception {
        Path binary = GoFixture.build("inlined", toolchain, stripped);
        byte[] image = Files.readAllBytes(binary);
        ElfFile elf = ElfFile.of(image);
        Pclntab tab = Pclntab.of(elf);
        ElfFile.Section pcln = elf.section(".gopclntab").orElseThrow();
        long gofuncFile = fileOffset(elf, tab.gofunc());
        long moduledata = fileOffset(elf, elf.section(".go.module").or(() -> elf.section(".noptrdata")).orElseThrow().address());

        // PCs of the main package, where the inline trees are, and the file offsets of their
        // _func records: the function table at pclnOffset holds (entryoff, funcoff) pairs, funcoff
        // counted from pclnOffset too (runtime.functab).
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        long ftab = pcln.offset() + b.getLong((int) pcln.offset() + 64);
        List<Long> pcs = new ArrayList<>();
        List<Long> records = new ArrayList<>();
        for (int i = 0; i < tab.functionCount(); i++) {
            if (tab.funcInfo(tab.entry(i)).orElseThrow().name().startsWith("main.")) {
                for (long pc = tab.entry(i); pc < tab.entry(i + 1); pc += 3) {
                    pcs.add(pc);
                }
                records.add(ftab + Integer.toUnsignedLong(b.getInt((int) (ftab + i * 8L + 4))));
            }
        }
        Random r = new Random(5);
        int refused = 0;
        int answered = 0;
        for (int round = 0; round < 300; round++) {
            byte[] copy = image.clone();
            int flips = 1 + r.nextInt(4);
            for (int f = 0; f < flips; f++) {
                long at = switch (r.nextInt(3)) {
                    case 0 -> records.get(r.nextInt(records.size())) + r.nextInt(64);   // _func, pcdata, funcdata
                    case 1 -> gofuncFile + r.nextInt(64 * 1024);                          // inline trees and other funcdata
                    default -> moduledata + r.nextInt(512);                               // moduledata
                };
                copy[(int) Math.min(at, copy.length - 1)] = (byte) (r.nextBoolean() ? 0xff : r.nextInt(256));
            }
            try {
                Pclntab t = Pclntab.of(ElfFile.of(copy));
                for (long pc : pcs) {
                    t.frames(pc);
                    t.funcInfo(pc);
                    t.spDelta(pc);
                }
                answered++;
            } catch (ElfFormatException expected) {
                assertTrue(!expected.getMessage().isBlank() && !expected.getMessage().contains("\n"), expected.getMessage());
                refused++;
            } catch (RuntimeException | Error e) {
                fail("round " + round + ": " + e, e);
            }
        }
        assertTrue(refused > 10 && answered > 10, "refused " + refused + ", answered " + answered);
    }

    private static long fileOffset(ElfFile elf, long vaddr) {
        for (ElfFile.Segment s : elf.segments()) {
            if (s.type() == ElfFile.PT_LOAD && vaddr >= s.vaddr() && vaddr < s.vaddr() + s.fileSize()) {
                return s.offset() + vaddr - s.vaddr();
            }
        }
        throw new AssertionError(String.format("0x%x is in no segment", vaddr));
    }
}
