package dev.attachproof.testcontainers;

import java.util.List;
import java.util.Objects;

import dev.attachproof.testcontainers.Goroutines.CreatedBy;
import dev.attachproof.testcontainers.Goroutines.Frame;
import dev.attachproof.testcontainers.Goroutines.Goroutine;

/**
 * Goroutines with the same state and stack, printed as the agent's {@code goroutines --group}
 * prints a group (Go's traceback shape, with the count and the ids in the header):
 * <pre>
 * 9 goroutines [chan send], ids 20..28:
 * main.worker(...)
 *     /src/leaky/main.go:67
 * created by main.handle
 *     /src/leaky/main.go:56
 * </pre>
 * A frame whose argument words differ among the members prints "(...)". The +0x offsets of the
 * agent's text are not in its JSON, so not here.
 */
public record GoroutineGroup(String state, List<Frame> frames, CreatedBy createdBy, List<Goroutine> members) {
  /** Runs of ids printed before the rest is counted (as the agent prints them). */
  static final int RUNS_SHOWN = 8;

  static GoroutineGroup of(List<Goroutine> members) {
    Goroutine first = members.getFirst();
    return new GoroutineGroup(first.state(), first.frames(), first.createdBy(), List.copyOf(members));
  }

  public int count() {
    return members.size();
  }

  public List<Long> ids() {
    return members.stream().map(Goroutine::id).sorted().toList();
  }

  /** The groups, one after the other, separated by a blank line. */
  static String text(List<GoroutineGroup> groups) {
    StringBuilder b = new StringBuilder();
    for (GoroutineGroup g : groups) {
      if (!b.isEmpty()) {
        b.append('\n');
      }
      b.append(g);
    }
    return b.toString();
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    int n = count();
    b.append(n).append(n == 1 ? " goroutine [" : " goroutines [").append(state).append("], ").append(n == 1 ? "id " : "ids ");
    ids(b, ids());
    b.append(":\n");
    for (int i = 0; i < frames.size(); i++) {
      Frame f = frames.get(i);
      int at = i;
      boolean same = members.stream().allMatch(m -> Objects.equals(m.frames().get(at).args(), f.args()));
      b.append(f.function()).append('(').append(same && f.args() != null ? f.args() : "...").append(")\n");
      b.append('\t').append(f.file()).append(':').append(f.line()).append('\n');
    }
    if (createdBy != null) {
      b.append("created by ").append(createdBy.function()).append("\n\t").append(createdBy.file()).append(':')
          .append(createdBy.line()).append('\n');
    }
    return b.toString();
  }

  /** Ids ascending, runs of three or more as {@code first..last}, the first runs only, then "and N more". */
  static void ids(StringBuilder b, List<Long> sorted) {
    int runs = 0;
    for (int i = 0; i < sorted.size(); ) {
      int j = i;
      while (j + 1 < sorted.size() && sorted.get(j + 1) == sorted.get(j) + 1) {
        j++;
      }
      if (runs == RUNS_SHOWN) {
        b.append(" and ").append(sorted.size() - i).append(" more");
        return;
      }
      b.append(runs == 0 ? "" : ", ").append(sorted.get(i));
      if (j - i >= 2) {
        b.append("..").append(sorted.get(j));
      } else if (j == i + 1) {
        b.append(", ").append(sorted.get(j));
      }
      runs++;
      i = j + 1;
    }
  }
}
