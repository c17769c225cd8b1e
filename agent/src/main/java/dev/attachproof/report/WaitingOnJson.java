package dev.attachproof.report;

import dev.attachproof.golang.WaitingOn;

import java.util.List;

/**
 * A goroutine's {@code waitingOn} in the goroutines JSON (added to v1): null when it waits on no
 * object, else one entry per object (a select's, one per case): channels with their op, element
 * type, len, cap and closed; sync values and semaphores with their kind and address.
 */
final class WaitingOnJson {
    private WaitingOnJson() {}

    static void append(StringBuilder b, List<WaitingOn> waits) {
        if (waits == null) {
            b.append("null");
            return;
        }
        b.append('[');
        for (int i = 0; i < waits.size(); i++) {
            WaitingOn w = waits.get(i);
            b.append(i == 0 ? "" : ", ").append("{\"kind\": ");
            Json.string(b, w.kind());
            b.append(", \"address\": \"0x").append(Long.toHexString(w.address())).append('"');
            if (w.isChan()) {
                b.append(", \"op\": ");
                nullable(b, w.op());
                b.append(", \"elemType\": ");
                nullable(b, w.elemType());
                b.append(", \"len\": ").append(w.len()).append(", \"cap\": ").append(w.cap())
                        .append(", \"closed\": ").append(w.closed());
            }
            b.append('}');
        }
        b.append(']');
    }

    private static void nullable(StringBuilder b, String s) {
        if (s == null) {
            b.append("null");
        } else {
            Json.string(b, s);
        }
    }
}
