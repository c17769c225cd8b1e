package dev.attachproof.elf;

import dev.attachproof.buildinfo.GoBuildInfo;

import dev.attachproof.pclntab.Pclntab;
import dev.attachproof.testing.GoFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Truncated, corrupted and hostile copies of a real Go binary: the readers (ELF, build info,
 * pclntab) either answer or throw
 * ElfFormatException with a reason, and nothing else (no IndexOutOfBounds, no OutOfMemoryError,
 * no hang). Seeded, so a failure is reproducible; the longer campaign is issue 3's fuzzing.
 */
class HostileElfTest {
    private static byte[] image;
    private int refused;
    private int answered;

    @BeforeAll
    static void load() throws Exception {
        image = Files.readAllBytes(GoFixture.build("target"));
    }

    @Test
    void everyTruncationIsAFormatErrorOrAnAnswer() {
        Random r = new Random(2);
        int[] cuts = new int[300];
        for (int i = 0; i < 64; i++) {
            cuts[i] = i;   // inside the ELF header
        }
        for (int i = 64; i < cuts.length; i++) {
            cuts[i] = r.nextInt(image.length);
        }
        for (int cut : cuts) {
            readAll(Arrays.copyOf(image, cut), "truncated at " + cut);
        }
    }

    @Test
    void corruptedHeadersAndTablesAreFormatErrorsOrAnswers() {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int shoff = (int) b.getLong(40);
        int phoff = (int) b.getLong(32);
        int pcln;
        try {
            pcln = (int) ElfFile.of(image).section(".gopclntab").orElseThrow().offset();
        } catch (ElfFormatException e) {
            throw new AssertionError(e);
        }
        Random r = new Random(3);
        for (int round = 0; round < 2000; round++) {
            byte[] copy = image.clone();
            int flips = 1 + r.nextInt(6);
            for (int f = 0; f < flips; f++) {
                // Aim where lengths and offsets live: the ELF header, program and section headers, pclntab.
                int region = r.nextInt(4);
                int at = switch (region) {
                    case 0 -> r.nextInt(64);
                    case 1 -> phoff + r.nextInt(56 * 8);
                    case 2 -> pcln + r.nextInt(64 * 1024);   // pcHeader, function table, _func records
                    default -> shoff + r.nextInt(Math.max(1, image.length - shoff));
                };
                copy[Math.min(at, copy.length - 1)] = (byte) r.nextInt(256);
            }
            readAll(copy, "round " + round);
        }
        // Not vacuous: the corruption must both break files and leave some readable.
        assertTrue(refused > 100 && answered > 100, "refused " + refused + ", answered " + answered);
    }

    @Test
    void hostileLengthsAreRefusedBeforeTheyAllocate() {
        byte[] copy = image.clone();
        ByteBuffer b = ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(60, (short) 0xffff);          // e_shnum: 65535 section headers
        b.putLong(40, copy.length - 64L);        // e_shoff near the end: the table cannot fit
        assertThrows(ElfFormatException.class, () -> ElfFile.of(copy));
        assertThrows(ElfFormatException.class, () -> ElfFile.of(new byte[] {0x7f, 'E', 'L', 'F'}));
        assertThrows(ElfFormatException.class, () -> ElfFile.of("#!/bin/sh\necho not an elf\n".getBytes()));
    }

    private void readAll(byte[] bytes, String what) {
        try {
            ElfFile elf = ElfFile.of(bytes);
            GoBuildInfo.read(elf);
            elf.symbols(List.of("runtime.buildVersion", "runtime.allglen"));
            elf.hasDwarf();
            Pclntab tab = Pclntab.of(elf);
            for (long pc = tab.textStart(); pc < tab.textStart() + 4096; pc += 97) {
                tab.lookup(pc);
            }
            answered++;
        } catch (ElfFormatException expected) {
            refused++;   // a reason, as designed
        } catch (RuntimeException | Error e) {
            fail(what + ": " + e, e);
        }
    }
}
