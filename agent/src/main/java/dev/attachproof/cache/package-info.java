/**
 * Files that keep what an earlier run derived, so a later run need not derive it again: only
 * bytes, a key and a checksum. A file is used only when it is whole and is for the same key and
 * the same build of attachproof; anything else is ignored and replaced. A cache that cannot be
 * read or written (a read-only container, no home directory) costs only the time it would have
 * saved: nothing here fails a command.
 */
package dev.attachproof.cache;
