package dev.attachproof.golang;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which sync value a semaphore belongs to, from the waiter's frames (as Go's traceback names
 * them, inlined ones included) and the committed layouts: the value's own address, never its
 * semaphore field's. The live fixture (WaitsTest) holds the same against real processes; this
 * pins each path, including the ones the fixture does not take on every release.
 */
class WaitObjectsTest {
    private static final long VALUE = 0x5bd3d0;

    private static WaitObjects objects(int minor) {
        return new WaitObjects(LayoutTable.lookup(1, minor, "amd64").orElseThrow(), null, 0, 0);
    }

    private static long offset(int minor, String struct, String member) {
        return LayoutTable.lookup(1, minor, "amd64").orElseThrow().offset(struct, member).orElseThrow();
    }

    /** The runtime's frames of a semaphore wait, then {@code sync}, then a caller in main. */
    private static List<Traceback.Frame> frames(String... sync) {
        List<Traceback.Frame> out = new ArrayList<>();
        for (String f : List.of("runtime.gopark", "runtime.goparkunlock", "runtime.semacquire1")) {
            out.add(frame(f));
        }
        for (String f : sync) {
            out.add(frame(f));
        }
        out.add(frame("main.worker"));
        return out;
    }

    private static Traceback.Frame frame(String function) {
        return new Traceback.Frame(function, "/src/x.go", 1, 0x401000, 0x10, false, true, "0x0");
    }

    @Test
    void aMutexLockerNamesTheMutex() {
        long sema = VALUE + offset(22, "sync.Mutex", "sema");
        assertEquals(WaitingOn.sync("sync.Mutex", VALUE), objects(22).syncValue(sema,
                frames("sync.runtime_SemacquireMutex", "sync.(*Mutex).lockSlow", "sync.(*Mutex).Lock")));
        // Go 1.24 on: the mutex lives in internal/sync, a field of sync.Mutex
        long inner = VALUE + offset(26, "sync.Mutex", "mu") + offset(26, "internal/sync.Mutex", "sema");
        assertEquals(WaitingOn.sync("sync.Mutex", VALUE), objects(26).syncValue(inner, frames("internal/sync.runtime_SemacquireMutex",
                "internal/sync.(*Mutex).lockSlow", "internal/sync.(*Mutex).Lock", "sync.(*Mutex).Lock")));
    }

    @Test
    void everyRWMutexWaiterNamesTheRWMutex() {
        WaitObjects o = objects(26);
        long behindWriter = VALUE + offset(26, "sync.RWMutex", "w") + offset(26, "sync.Mutex", "mu")
                + offset(26, "internal/sync.Mutex", "sema");
        assertEquals(WaitingOn.sync("sync.RWMutex", VALUE), o.syncValue(behindWriter, frames("internal/sync.runtime_SemacquireMutex",
                "internal/sync.(*Mutex).lockSlow", "internal/sync.(*Mutex).Lock", "sync.(*Mutex).Lock", "sync.(*RWMutex).Lock")));
        assertEquals(WaitingOn.sync("sync.RWMutex", VALUE), o.syncValue(VALUE + offset(26, "sync.RWMutex", "writerSem"),
                frames("sync.runtime_SemacquireRWMutex", "sync.(*RWMutex).Lock")));
        assertEquals(WaitingOn.sync("sync.RWMutex", VALUE), o.syncValue(VALUE + offset(26, "sync.RWMutex", "readerSem"),
                frames("sync.runtime_SemacquireRWMutexR", "sync.(*RWMutex).RLock")));
    }

    @Test
    void aWaitGroupWaiterNamesTheWaitGroupOnEveryLayout() {
        // Go 1.19: the semaphore is state2 (state1 is 8-aligned on 64-bit); from 1.20, sema
        assertEquals(WaitingOn.sync("sync.WaitGroup", VALUE), objects(19).syncValue(VALUE + offset(19, "sync.WaitGroup", "state2"),
                frames("sync.runtime_Semacquire", "sync.(*WaitGroup).Wait")));
        assertEquals(WaitingOn.sync("sync.WaitGroup", VALUE), objects(26).syncValue(VALUE + offset(26, "sync.WaitGroup", "sema"),
                frames("sync.runtime_Semacquire", "sync.(*WaitGroup).Wait")));
    }

    @Test
    void aCondWaiterNamesTheCondItsNotifyListHolds() {
        // what WaitReader found while stopped is the Cond itself: no frame or field turns it into another address
        Goroutine g = new Goroutine(0xc000007a00L, 7, Goroutine.G_WAITING, "waiting", "sync.Cond.Wait", 0,
                0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        List<Traceback.Frame> f = new ArrayList<>();
        for (String fn : List.of("runtime.gopark", "runtime.goparkunlock", "sync.runtime_notifyListWait", "sync.(*Cond).Wait",
                "main.worker")) {
            f.add(frame(fn));
        }
        Waits w = new Waits();
        assertNull(objects(26).of(g, f, w), "a Cond waiter whose Cond was not found names nothing");
        w.putCond(g.address(), VALUE);
        assertEquals(List.of(WaitingOn.sync("sync.Cond", VALUE)), objects(26).of(g, f, w));
        assertEquals(List.of(WaitingOn.sync("sync.Cond", VALUE)), objects(19).of(g, f, w));
        // the reader finds it at c + offsetof(Cond.notify) and names c: that offset, and the list's head and tail, are in every table
        assertEquals(LayoutGenerator.TOOLCHAINS.size() * LayoutGenerator.ARCHES.size(), LayoutTable.index().size(),
                LayoutTable.index().toString());
        for (String t : LayoutTable.index()) {
            String[] p = t.substring(2).split("[.-]");
            RuntimeLayout l = LayoutTable.lookup(Integer.parseInt(p[0]), Integer.parseInt(p[1]), p[2]).orElseThrow();
            assertTrue(l.offset("sync.Cond", "notify").isPresent(), t);
            assertTrue(l.offset("runtime.notifyList", "head").isPresent(), t);
            assertTrue(l.offset("runtime.notifyList", "tail").isPresent(), t);
        }
    }

    @Test
    void aSemaphoreNoSyncFrameExplainsIsASemaphore() {
        assertEquals(WaitingOn.sync("semaphore", VALUE + 4), objects(22).syncValue(VALUE + 4, frames("sync.runtime_Semacquire")));
        // a sync frame further out than the first caller outside runtime and sync does not count
        List<Traceback.Frame> f = new ArrayList<>(frames("sync.runtime_Semacquire"));
        f.add(frame("sync.(*WaitGroup).Wait"));
        assertEquals(WaitingOn.sync("semaphore", VALUE + 4), objects(22).syncValue(VALUE + 4, f));
    }
}
