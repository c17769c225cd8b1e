package dev.attachproof.serve;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sidecar's rules without a server: addresses, the token rule, the token compare, the bucket, admission. */
class ServeSettingsTest {
    private static final String TOKEN = "0123456789abcdef0123456789abcdef";

    @Test
    void listenAddressesReadAsDocumented() {
        assertEquals(new InetSocketAddress("127.0.0.1", 7070), ListenAddress.parse(null));
        assertEquals(new InetSocketAddress("127.0.0.1", 9000), ListenAddress.parse("9000"));
        assertEquals(new InetSocketAddress("0.0.0.0", 9000), ListenAddress.parse(":9000"));
        assertEquals(new InetSocketAddress("10.1.2.3", 80), ListenAddress.parse("10.1.2.3:80"));
        assertEquals(new InetSocketAddress("::1", 7071), ListenAddress.parse("[::1]:7071"));
        assertEquals(new InetSocketAddress("::1", 7070), ListenAddress.parse("[::1]"));
        assertEquals(new InetSocketAddress("127.0.0.1", 7070), ListenAddress.parse("127.0.0.1"));
        for (String bad : new String[] {"127.0.0.1:70000", "127.0.0.1:http", "[::1", "no-such-host.invalid:7070"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ListenAddress.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("--listen " + bad + ": "), e.getMessage());
        }
    }

    @Test
    void offLoopbackATokenIsRequired() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServeSettings.of("0.0.0.0:7070", null, null, 5, 10, 1));
        assertEquals("refusing to listen on 0.0.0.0:7070 without a token: off the loopback interface every request must "
                + "carry one; give --token-file PATH or set ATTACHPROOF_TOKEN (or listen on 127.0.0.1)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ServeSettings.of(":7070", null, null, 5, 10, 1));
        assertTrue(ServeSettings.of("0.0.0.0:7070", null, TOKEN, 5, 10, 1).tokenRequired());
        assertFalse(ServeSettings.of("127.0.0.1:7070", null, null, 5, 10, 1).tokenRequired());
        assertFalse(ServeSettings.of("[::1]:7070", null, null, 5, 10, 1).tokenRequired());
        assertTrue(ServeSettings.of("127.0.0.1:7070", null, TOKEN, 5, 10, 1).tokenRequired(), "a token given is a token required");
        assertThrows(IllegalArgumentException.class, () -> ServeSettings.of(null, null, null, 0, 10, 1));
        assertThrows(IllegalArgumentException.class, () -> ServeSettings.of(null, null, null, 5, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> ServeSettings.of(null, null, null, 5, 10, 0));
    }

    @Test
    void tokensAreCheckedWhole() {
        BearerToken t = BearerToken.of(TOKEN + "\n", "test");
        assertTrue(t.acceptsHeader("Bearer " + TOKEN));
        assertTrue(t.acceptsHeader("bearer " + TOKEN));
        assertFalse(t.acceptsHeader("Bearer " + TOKEN + "0"));
        assertFalse(t.acceptsHeader("Bearer " + TOKEN.substring(1)));
        assertFalse(t.acceptsHeader("Bearer "));
        assertFalse(t.acceptsHeader("Basic " + TOKEN));
        assertFalse(t.acceptsHeader(TOKEN));
        assertFalse(t.acceptsHeader(null));
        assertThrows(IllegalArgumentException.class, () -> BearerToken.of("   \n", "test"));
        assertThrows(IllegalArgumentException.class, () -> BearerToken.of("short", "test"));
        assertThrows(IllegalArgumentException.class, () -> BearerToken.of("has a space in it, sixteen+", "test"));
    }

    /** RFC 6750's trailing '=' are padding, not secret: "a" and 15 '=' is a token of 1 character, refused. */
    @Test
    void paddingDoesNotCountTowardsTheLength() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BearerToken.of("a" + "=".repeat(15), "test"));
        assertTrue(e.getMessage().contains("1 character"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BearerToken.of("0123456789abcde=", "test"));
        assertTrue(BearerToken.of("0123456789abcdef==", "test").acceptsHeader("Bearer 0123456789abcdef=="));
    }

    /** A connection the gate can close, remembering that it did. */
    private static final class FakeConnection implements ConnectionGate.Closeable {
        final java.net.InetAddress client;
        boolean evicted;

        FakeConnection(String client) throws java.net.UnknownHostException {
            this.client = java.net.InetAddress.getByName(client);
        }

        @Override
        public java.net.InetAddress client() {
            return client;
        }

        @Override
        public void evict() {
            evicted = true;
        }
    }

    @Test
    void theGateClosesTheOldestWaitingConnectionOfAClientOverItsCap() throws Exception {
        AtomicLong now = new AtomicLong();
        ConnectionGate gate = new ConnectionGate(3, 100, now::get);
        java.util.List<FakeConnection> a = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
            a.add(new FakeConnection("127.0.0.2"));
            assertTrue(gate.admit(a.getLast()));
        }
        assertTrue(a.stream().noneMatch(c -> c.evicted), "a burst younger than the minimum wait: nobody is taken for stalled");
        now.addAndGet(ConnectionGate.MIN_WAIT_NANOS);
        FakeConnection late = new FakeConnection("127.0.0.2");
        assertTrue(gate.admit(late));
        assertTrue(a.getFirst().evicted, "the oldest of the client's waiting connections makes room");
        assertEquals(1, a.stream().filter(c -> c.evicted).count());
        FakeConnection other = new FakeConnection("127.0.0.1");
        assertTrue(gate.admit(other));
        assertEquals(1, a.stream().filter(c -> c.evicted).count(), "another client's connection evicts nobody");
        assertTrue(gate.working(a.get(1)));
        assertFalse(gate.working(a.getFirst()), "an evicted connection is not served");
    }

    @Test
    void atTheOpenCapTheOldestWaitingConnectionGoesAndWorkingOnesStay() throws Exception {
        AtomicLong now = new AtomicLong();
        ConnectionGate gate = new ConnectionGate(16, 2, now::get);
        FakeConnection first = new FakeConnection("127.0.0.2");
        FakeConnection second = new FakeConnection("127.0.0.3");
        assertTrue(gate.admit(first));
        assertTrue(gate.admit(second));
        assertTrue(gate.working(second));
        FakeConnection third = new FakeConnection("127.0.0.4");
        assertTrue(gate.admit(third));
        assertTrue(first.evicted && !second.evicted);
        assertTrue(gate.working(third));
        assertFalse(gate.admit(new FakeConnection("127.0.0.5")), "every open connection is working: the new one is refused");
        gate.gone(second);
        assertTrue(gate.admit(new FakeConnection("127.0.0.5")));
    }

    @Test
    void theBucketRefillsAtItsRate() {
        AtomicLong now = new AtomicLong();
        TokenBucket b = new TokenBucket(2, 3, now::get);
        assertEquals(0, b.take());
        assertEquals(0, b.take());
        assertEquals(0, b.take());
        assertEquals(500_000_000, b.take(), "empty: the next token in half a second");
        now.addAndGet(250_000_000);
        assertEquals(250_000_000, b.take());
        now.addAndGet(250_000_000);
        assertEquals(0, b.take());
        now.addAndGet(60_000_000_000L);
        for (int i = 0; i < 3; i++) {
            assertEquals(0, b.take(), "refilled to the burst, no more");
        }
        assertTrue(b.take() > 0);
    }

    @Test
    void onePidAtATimeAndAtMostTheSnapshotsAllowed() {
        TraceAdmission a = new TraceAdmission(1);
        try (TraceAdmission.Lease first = a.admit(42, true)) {
            assertEquals(503, assertThrows(HttpError.class, () -> a.admit(42, false)).status(), "the doctor waits for the snapshot");
            assertTrue(assertThrows(HttpError.class, () -> a.admit(43, true)).getMessage().contains("--max-snapshots"));
            try (TraceAdmission.Lease doctor = a.admit(43, false)) {
                assertTrue(assertThrows(HttpError.class, () -> a.admit(43, false)).getMessage().contains("pid 43"));
            }
        }
        try (TraceAdmission.Lease again = a.admit(42, true); TraceAdmission.Lease other = a.admit(43, false)) {
            // both free again
        }
    }
}
