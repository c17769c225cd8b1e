package dev.attachproof.serve;

import dev.attachproof.testing.Goldens;
import dev.attachproof.testing.Schemas;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The sidecar's own documents, byte for byte against the goldens (as JsonDocumentsTest does for
 * the commands'): the error answer, on one line whatever its message holds, and /healthz.
 */
class ReplyDocumentsTest {

    @Test
    void errorIsOneLine() {
        Reply r = Reply.error(404, "no process with pid 4194304 is visible here", Map.of());
        assertEquals(404, r.status());
        String plain = new String(r.body(), StandardCharsets.UTF_8);
        Schemas.assertValid("error", "v1", plain);
        String strange = new String(Reply.error(400, "bad \"pid\": \\ \b\f\t\u0000\u001f\u007f\u0085\u2028\u2029 é 日本 \uD83D\uDE00",
                Map.of()).body(), StandardCharsets.UTF_8);
        Schemas.assertValid("error", "v1", strange);
        assertEquals(1, strange.lines().count(), strange);
        Goldens.assertMatches("serve-error.json", plain + strange);
    }

    @Test
    void health() {
        String doc = new String(new Endpoints(null, null).health(null).body(), StandardCharsets.UTF_8);
        Goldens.assertMatches("serve-healthz.json", doc);
    }
}
