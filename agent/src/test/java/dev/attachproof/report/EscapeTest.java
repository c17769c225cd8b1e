package dev.attachproof.report;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link Style#escape} writes what it escapes as Go's strconv.Quote does (so strconv.Unquote
 * reverses it), checked against Go itself for every character it escapes and every printable
 * ASCII one around them; and leaves everything else alone.
 */
class EscapeTest {

    @Test
    void asGosStrconvQuoteWritesEachCharacter() throws Exception {
        List<String> samples = new ArrayList<>();
        for (char c = 0; c <= 0x9f; c++) {
            if (c != '"') {   // Quote escapes the quote it is written in; a terminal shows it as it is
                samples.add(String.valueOf(c));
            }
        }
        samples.addAll(List.of("\u2028", "\u2029", "n\u001b[2J\r\u0007\u009bx", "/src\u001b]0;pwned\u0007\u2028/main.go"));
        List<String> go = gosQuote(samples);
        for (int i = 0; i < samples.size(); i++) {
            assertEquals(go.get(i), Style.escape(samples.get(i)), "U+" + HexFormat.of().toHexDigits(samples.get(i).charAt(0)));
        }
    }

    @Test
    void leavesPrintableTextAlone() {
        String s = "main.(*Server).Serve[...] /home/ü/src/main.go µs → é 日本";
        assertSame(s, Style.escape(s));
    }

    /** strconv.Quote of each sample, without its quotes: a small Go program given the samples in hex. */
    private static List<String> gosQuote(List<String> samples) throws Exception {
        assumeTrue(java.util.Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, "go"))), "no go on PATH");
        Path dir = Files.createTempDirectory("quote");
        Path program = dir.resolve("quote.go");
        Files.writeString(program, """
                package main

                import (
                	"bufio"
                	"encoding/hex"
                	"fmt"
                	"os"
                	"strconv"
                )

                func main() {
                	in := bufio.NewScanner(os.Stdin)
                	for in.Scan() {
                		b, err := hex.DecodeString(in.Text())
                		if err != nil {
                			panic(err)
                		}
                		q := strconv.Quote(string(b))
                		fmt.Println(hex.EncodeToString([]byte(q[1 : len(q)-1])))
                	}
                }
                """);
        try {
            Process p = new ProcessBuilder("go", "run", program.toString()).directory(dir.toFile())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            StringBuilder input = new StringBuilder();
            for (String s : samples) {
                input.append(HexFormat.of().formatHex(s.getBytes(StandardCharsets.UTF_8))).append('\n');
            }
            p.getOutputStream().write(input.toString().getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, "go run failed");
            return out.lines().map(h -> new String(HexFormat.of().parseHex(h), StandardCharsets.UTF_8)).toList();
        } finally {
            Files.deleteIfExists(program);
            Files.deleteIfExists(dir);
        }
    }
}
