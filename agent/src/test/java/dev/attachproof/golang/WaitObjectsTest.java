package dev.attachproof.golang;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
    void aSemaphoreNoSyncFrameExplainsIsASemaphore() {
        assertEquals(WaitingOn.sync("semaphore", VALUE + 4), objects(22).syncValue(VALUE + 4, frames("sync.runtime_Semacquire")));
        // a sync frame further out than the first caller outside runtime and sync does not count
        List<Traceback.Frame> f = new ArrayList<>(frames("sync.runtime_Semacquire"));
        f.add(frame("sync.(*WaitGroup).Wait"));
        assertEquals(WaitingOn.sync("semaphore", VALUE + 4), objects(22).syncValue(VALUE + 4, f));
    }
}
