package dev.attachproof.dwarf;

import java.util.List;
import java.util.Optional;

/** A struct as DWARF describes it: name, byte size, and its members in declaration order. */
public record StructType(String name, long size, List<Member> members) {

    /** A member: byte offset within the struct, byte size (-1 when DWARF gives none), type name. */
    public record Member(String name, long offset, long size, String type) {}

    public Optional<Member> member(String memberName) {
        return members.stream().filter(m -> m.name().equals(memberName)).findFirst();
    }
}
