package dev.attachproof.golang;

import dev.attachproof.dwarf.StructType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads every goroutine of a target from {@code runtime.allgs}, through the layout of its Go
 * release: the slice header and {@code allglen} (which must agree: allgadd updates both under
 * allglock), the pointer array in one read, then each g. Dead goroutines (freed, kept for reuse)
 * are skipped, as Go's own traceback skips them.
 */
public final class GoroutineReader {
    /** More than this is not a goroutine count: a wrong address, or memory that moved under a --no-stop read. */
    static final long MAX_GOROUTINES = 50_000_000L;
    private static final int POINTER_CHUNK = 1 << 20;

    private final MemoryReader mem;
    private final RuntimeLayout layout;
    private final StructType g;
    private final Field goid, status, waitreason, waitsince, gopc, startpc, parentGoid, lockedm, m,
            schedPc, schedSp, schedLr, syscallPc, syscallSp, stackLo, stackHi;

    public GoroutineReader(MemoryReader mem, RuntimeLayout layout) {
        this.mem = mem;
        this.layout = layout;
        this.g = layout.structs().get("runtime.g");
        if (g == null) {
            throw new IllegalArgumentException("the layout has no runtime.g");
        }
        long schedOff = required("runtime.g", "sched").offset();
        long stackOff = required("runtime.g", "stack").offset();
        goid = field("goid", 0);
        status = field("atomicstatus", 0);
        waitreason = field("waitreason", 0);
        waitsince = field("waitsince", 0);
        gopc = field("gopc", 0);
        startpc = field("startpc", 0);
        parentGoid = optionalField("runtime.g", "parentGoid", 0);
        lockedm = field("lockedm", 0);
        m = field("m", 0);
        schedPc = sub("runtime.gobuf", "pc", schedOff);
        schedSp = sub("runtime.gobuf", "sp", schedOff);
        schedLr = optionalField("runtime.gobuf", "lr", schedOff);
        syscallPc = field("syscallpc", 0);
        syscallSp = field("syscallsp", 0);
        stackLo = sub("runtime.stack", "lo", stackOff);
        stackHi = sub("runtime.stack", "hi", stackOff);
    }

    /** A member's offset and size within the g. */
    private record Field(long offset, long size) {
        static final Field NONE = new Field(-1, 0);

        long read(ByteBuffer b) {
            if (offset < 0) {
                return 0;
            }
            return switch ((int) size) {
                case 1 -> Byte.toUnsignedLong(b.get((int) offset));
                case 2 -> Short.toUnsignedLong(b.getShort((int) offset));
                case 4 -> Integer.toUnsignedLong(b.getInt((int) offset));
                default -> b.getLong((int) offset);
            };
        }
    }

    private StructType.Member required(String struct, String member) {
        return layout.member(struct, member).orElseThrow(() -> new IllegalArgumentException(
                "the layout has no " + struct + "." + member));
    }

    private Field field(String member, long base) {
        StructType.Member mm = required("runtime.g", member);
        return new Field(base + mm.offset(), mm.size());
    }

    private Field optionalField(String struct, String member, long base) {
        Optional<StructType.Member> mm = layout.member(struct, member);
        return mm.map(x -> new Field(base + x.offset(), x.size())).orElse(Field.NONE);
    }

    private Field sub(String struct, String member, long base) {
        StructType.Member mm = required(struct, member);
        return new Field(base + mm.offset(), mm.size());
    }

    /** The allgs slice as read: where its pointer array is and how many goroutines it holds. */
    public record AllGs(long array, long length, long allglen) {}

    /** Reads allgs and allglen at their run-time addresses; says why when they make no sense. */
    public AllGs readList(long allgsAddress, long allglenAddress) throws MemoryReader.MemoryReadException {
        ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        mem.read(allgsAddress, header);
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        mem.read(allglenAddress, len);
        long array = header.getLong(0);
        long length = header.getLong(8);
        long capacity = header.getLong(16);
        long allglen = len.getLong(0);
        if (length < 0 || length > MAX_GOROUTINES || capacity < length || (length > 0 && array == 0)) {
            throw new MemoryReader.MemoryReadException(String.format(
                    "runtime.allgs at 0x%x is not a goroutine list (pointer 0x%x, length %d, capacity %d)",
                    allgsAddress, array, length, capacity));
        }
        return new AllGs(array, length, allglen);
    }

    /** Every live goroutine in {@code list}, in allgs order. */
    public List<Goroutine> readAll(AllGs list) throws MemoryReader.MemoryReadException {
        long n = list.length();
        long[] pointers = new long[(int) n];
        for (long done = 0; done < n; ) {
            int chunk = (int) Math.min(n - done, POINTER_CHUNK / 8);
            ByteBuffer b = ByteBuffer.allocate(chunk * 8).order(ByteOrder.LITTLE_ENDIAN);
            mem.read(list.array() + done * 8, b);
            for (int i = 0; i < chunk; i++) {
                pointers[(int) done + i] = b.getLong(i * 8);
            }
            done += chunk;
        }
        List<Goroutine> out = new ArrayList<>((int) n);
        ByteBuffer buf = ByteBuffer.allocate((int) g.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (long p : pointers) {
            if (p == 0) {
                continue;
            }
            buf.clear();
            mem.read(p, buf);
            Goroutine gr = decode(p, buf);
            if (gr.baseStatus() != Goroutine.G_DEAD) {
                out.add(gr);
            }
        }
        return out;
    }

    private Goroutine decode(long address, ByteBuffer b) {
        int st = (int) status.read(b);
        int base = st & ~Goroutine.SCAN_BIT;
        String reason = "";
        long wr = waitreason.read(b);
        if (layout.gStatus().containsKey(base) && layout.gStatus().get(base).constant().matches("_G(waiting|leaked)") && wr != 0) {
            reason = layout.waitReasonText((int) wr).orElse("waitReason " + wr);
        }
        return new Goroutine(address, goid.read(b), st, layout.statusText(st), reason, waitsince.read(b),
                gopc.read(b), startpc.read(b), parentGoid.read(b), lockedm.read(b), m.read(b),
                schedPc.read(b), schedSp.read(b), schedLr.read(b), syscallPc.read(b), syscallSp.read(b),
                stackLo.read(b), stackHi.read(b));
    }
}
