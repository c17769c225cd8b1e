package dev.attachproof.golang;

import dev.attachproof.elf.ElfFile;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decodes, after the target runs again, what {@link WaitReader} read into the objects each
 * goroutine waits on ({@link WaitingOn}). A channel names itself. A semaphore is a field of a sync
 * value, and the goroutine's stack says which: the innermost sync method among its frames
 * (sync.(*Mutex).lockSlow, sync.(*RWMutex).RLock, sync.(*RWMutex).Lock, sync.(*WaitGroup).Wait;
 * from Go 1.24 the mutex lives in internal/sync) names the type, and the field's offset, from the
 * layout (the binary's DWARF, or the table generated from each release's), turns the semaphore's
 * address into the value's. A semaphore no sync frame explains is named as such. A channel's
 * element type is named from its _type's name in the binary's read-only data (types are never
 * written at run time), the way reflect spells it.
 */
public final class WaitObjects {
    /** runtime/type.go: {@code tflagExtraStar = 1 << 1}: the name is stored with a '*' the type does not have. */
    private static final int TFLAG_EXTRA_STAR = 1 << 1;

    private final ElfFile elf;
    private final long bias;
    private final long types;
    private final long mutexSema, rwW, rwWriterSem, rwReaderSem, wgSema;
    private final long typeStr, typeTflag;
    private final Map<Long, Optional<String>> typeNames = new ConcurrentHashMap<>();

    /**
     * The link-time address of the module's type data: the runtime.types symbol, else, stripped,
     * moduledata.types, three words before moduledata.gofunc (types, etypes, rodata, gofunc in
     * runtime/symtab.go from 1.18 on; SemTableTest holds it to the symbol on every release); 0 when
     * neither is found. Not the start of .rodata: an externally linked binary has the C
     * library's read-only data there first (Debian's dockerd: 0x2ae6000 against 0x3049a00).
     */
    public static long typesOf(ElfFile elf, dev.attachproof.pclntab.Pclntab tab) throws dev.attachproof.elf.ElfFormatException {
        ElfFile.Symbol sym = elf.symbols(List.of("runtime.types")).get("runtime.types");
        if (sym != null) {
            return sym.value();
        }
        Optional<dev.attachproof.pclntab.Pclntab.Findings> f = tab.findings();
        int gofunc = f.map(x -> x.words().gofunc()).orElse(-1);
        return gofunc >= 3 && gofunc < f.get().moduledata().length ? f.get().moduledata()[gofunc - 3] : 0;
    }

    /**
     * @param types the link-time address of the module's type data ({@link #typesOf}), 0 when
     *              unknown: element types are then not named
     */
    public WaitObjects(RuntimeLayout layout, ElfFile elf, long bias, long types) {
        this.elf = elf;
        this.bias = bias;
        this.types = types;
        long direct = layout.offset("sync.Mutex", "sema").orElse(-1);
        long inner = layout.offset("sync.Mutex", "mu").orElse(-1);
        long innerSema = layout.offset("internal/sync.Mutex", "sema").orElse(-1);
        mutexSema = direct >= 0 ? direct : inner >= 0 && innerSema >= 0 ? inner + innerSema : -1;
        rwW = layout.offset("sync.RWMutex", "w").orElse(-1);
        rwWriterSem = layout.offset("sync.RWMutex", "writerSem").orElse(-1);
        rwReaderSem = layout.offset("sync.RWMutex", "readerSem").orElse(-1);
        // Go 1.20 on: WaitGroup.sema; Go 1.19: state2, the semaphore when state1 is 8-aligned,
        // as it always is on 64-bit (sync/waitgroup.go, state()).
        long sema = layout.offset("sync.WaitGroup", "sema").orElse(-1);
        wgSema = sema >= 0 ? sema : layout.offset("sync.WaitGroup", "state2").orElse(-1);
        String type = layout.structs().containsKey("internal/abi.Type") ? "internal/abi.Type" : "runtime._type";
        typeStr = layout.offset(type, type.equals("runtime._type") ? "str" : "Str").orElse(-1);
        typeTflag = layout.offset(type, type.equals("runtime._type") ? "tflag" : "TFlag").orElse(-1);
    }

    /**
     * What goroutine {@code g} waits on, given its frames (innermost first): null when it waits on
     * no object the snapshot read.
     */
    public List<WaitingOn> of(Goroutine g, List<Traceback.Frame> frames, Waits waits) {
        List<Waits.ChanWait> cases = waits.chanWaits(g.address());
        if (!cases.isEmpty()) {
            List<WaitingOn> out = new ArrayList<>(cases.size());
            for (Waits.ChanWait w : cases) {
                Waits.Chan c = waits.chan(w.hchan());
                out.add(c == null ? new WaitingOn(WaitingOn.CHAN, w.hchan(), w.op(), null, 0, 0, false)
                        : new WaitingOn(WaitingOn.CHAN, w.hchan(), w.op(), typeName(c.elemType()).orElse(null),
                                c.len(), c.cap(), c.closed()));
            }
            return out;
        }
        long cond = waits.cond(g.address());
        if (cond != 0) {
            return List.of(WaitingOn.sync("sync.Cond", cond));   // found as the Cond itself: nothing to decode
        }
        long sema = waits.semaphore(g.address());
        return sema == 0 ? null : List.of(syncValue(sema, frames));
    }

    /** The sync value semaphore {@code sema} is a field of, as the innermost sync frame says. */
    WaitingOn syncValue(long sema, List<Traceback.Frame> frames) {
        boolean inMutex = false;
        for (Traceback.Frame f : frames) {
            String fn = f.function();
            if (isMutexMethod(fn)) {
                inMutex = true;
            } else if (fn.equals("sync.(*RWMutex).Lock")) {
                // A writer waits first on rw.w (a Mutex, Lock inlined), then on writerSem for the readers to leave.
                return inMutex ? known("sync.RWMutex", sema, mutexSema, rwW) : known("sync.RWMutex", sema, rwWriterSem, 0);
            } else if (fn.equals("sync.(*RWMutex).RLock")) {
                return known("sync.RWMutex", sema, rwReaderSem, 0);
            } else if (fn.equals("sync.(*WaitGroup).Wait")) {
                return known("sync.WaitGroup", sema, wgSema, 0);
            } else if (!fn.startsWith("runtime.") && !fn.startsWith("sync.runtime_") && !fn.startsWith("internal/sync.runtime_")) {
                break;   // the first caller outside the runtime and sync
            }
        }
        return inMutex ? known("sync.Mutex", sema, mutexSema, 0) : WaitingOn.sync("semaphore", sema);
    }

    private static boolean isMutexMethod(String fn) {
        return fn.startsWith("sync.(*Mutex).") || fn.startsWith("internal/sync.(*Mutex).");
    }

    /** {@code kind} at the semaphore's address less the field's offset, less {@code outer} (a field holding it); a semaphore when the layout lacks the field. */
    private static WaitingOn known(String kind, long sema, long field, long outer) {
        return field < 0 || outer < 0 ? WaitingOn.sync("semaphore", sema) : WaitingOn.sync(kind, sema - field - outer);
    }

    /** The name of the _type at run-time address {@code type}, as reflect's String() spells it. */
    public Optional<String> typeName(long type) {
        if (type == 0 || types == 0 || typeStr < 0 || typeTflag < 0) {
            return Optional.empty();
        }
        return typeNames.computeIfAbsent(type, this::readTypeName);
    }

    private Optional<String> readTypeName(long type) {
        long at = type - bias;
        Optional<ByteBuffer> t = elf.readVirtual(at, (int) Math.max(typeStr + 4, typeTflag + 1));
        if (t.isEmpty()) {
            return Optional.empty();
        }
        int tflag = Byte.toUnsignedInt(t.get().get((int) typeTflag));
        int str = t.get().getInt((int) typeStr);
        if (str <= 0) {
            return Optional.empty();
        }
        // runtime/type.go, name: a flags byte, the length as a uvarint, the bytes.
        Optional<ByteBuffer> head = elf.readVirtual(types + str, 1 + 10);
        if (head.isEmpty()) {
            return Optional.empty();
        }
        ByteBuffer h = head.get();
        long len = 0;
        int i = 1;
        for (int shift = 0; i < h.limit() && shift < 64; shift += 7) {
            int b = Byte.toUnsignedInt(h.get(i++));
            len |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                break;
            }
        }
        if (len <= 0 || len > 1 << 16) {
            return Optional.empty();
        }
        Optional<ByteBuffer> bytes = elf.readVirtual(types + str + i, (int) len);
        if (bytes.isEmpty()) {
            return Optional.empty();
        }
        byte[] b = new byte[(int) len];
        bytes.get().get(0, b);
        String s = new String(b, StandardCharsets.UTF_8);
        return Optional.of((tflag & TFLAG_EXTRA_STAR) != 0 && s.startsWith("*") ? s.substring(1) : s);
    }
}
