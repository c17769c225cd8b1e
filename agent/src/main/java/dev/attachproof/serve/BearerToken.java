package dev.attachproof.serve;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The shared secret a client sends as {@code Authorization: Bearer TOKEN} (RFC 6750). Compared
 * in constant time, as SHA-256 digests, so that neither the content nor the length of the token
 * leaks through the time a refusal takes. At least 16 characters of RFC 6750's token alphabet:
 * refusals are not rate-limited (a client without the token must not spend the others' budget),
 * so a short token could be guessed.
 */
public final class BearerToken {
    static final int MIN_LENGTH = 16;
    /** A token file's size at most: a token is a few dozen bytes; a file far bigger is the wrong file. */
    static final int MAX_FILE_BYTES = 4096;
    private static final Pattern B64TOKEN = Pattern.compile("[A-Za-z0-9._~+/-]+=*");

    private final byte[] digest;

    private BearerToken(String token) {
        this.digest = sha256(token);
    }

    /**
     * The token in {@code text} (from a file or the environment; surrounding whitespace, such
     * as a file's final newline, dropped), or why it cannot be one, naming {@code source}.
     */
    static BearerToken of(String text, String source) {
        String token = text.strip();
        if (token.isEmpty()) {
            throw new IllegalArgumentException(source + " is empty: put the token in it (at least " + MIN_LENGTH
                    + " characters, e.g. from `openssl rand -hex 32`)");
        }
        if (!B64TOKEN.matcher(token).matches()) {
            throw new IllegalArgumentException(source + " holds characters a bearer token cannot carry: use letters, "
                    + "digits and -._~+/ (e.g. `openssl rand -hex 32`)");
        }
        // The trailing '=' are b64token's padding: they add no secret, so they do not count.
        int length = token.replaceFirst("=+$", "").length();
        if (length < MIN_LENGTH) {
            throw new IllegalArgumentException(source + " holds a token of " + length + " character" + (length == 1 ? "" : "s")
                    + (length < token.length() ? " before its '=' padding" : "") + ": use at least " + MIN_LENGTH
                    + " (e.g. `openssl rand -hex 32`)");
        }
        return new BearerToken(token);
    }

    /**
     * The token in the file {@code path}: a regular file (a Kubernetes secret's symbolic link is
     * followed) of at most {@link #MAX_FILE_BYTES}. Anything else is refused before it is opened:
     * opening a FIFO waits for a writer forever, and /dev/zero never ends.
     */
    static BearerToken fromFile(Path path) {
        byte[] bytes;
        try {
            java.util.Optional<String> kind = dev.attachproof.procfs.FileKind.notRegular(path);
            if (kind.isPresent()) {
                throw new IllegalArgumentException("the token file " + path + " is " + kind.get()
                        + ": give a regular file that holds the token (at most " + MAX_FILE_BYTES + " bytes)");
            }
            try (InputStream in = Files.newInputStream(path)) {
                bytes = in.readNBytes(MAX_FILE_BYTES + 1);   // bounded even if the file grows after the check
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the token file " + path + ": " + describe(e));
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw new IllegalArgumentException("the token file " + path + " holds more than " + MAX_FILE_BYTES
                    + " bytes: give a file that holds only the token (e.g. `openssl rand -hex 32 > FILE`)");
        }
        return of(new String(bytes, StandardCharsets.UTF_8), "the token file " + path);
    }

    /**
     * Whether an Authorization header value carries this token. Any other scheme, a missing
     * header or a different token is false.
     */
    boolean acceptsHeader(String authorization) {
        if (authorization == null || authorization.length() < 7
                || !authorization.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
            return false;
        }
        return MessageDigest.isEqual(digest, sha256(authorization.substring(7).strip()));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    private static String describe(IOException e) {
        return switch (e) {
            case java.nio.file.NoSuchFileException n -> "no such file";
            case java.nio.file.AccessDeniedException a -> "permission denied";
            default -> e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        };
    }
}
