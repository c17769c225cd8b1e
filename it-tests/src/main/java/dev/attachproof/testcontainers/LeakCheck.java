package dev.attachproof.testcontainers;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import dev.attachproof.testcontainers.Goroutines.Goroutine;

/**
 * Go's goleak, from outside a container: the goroutines started since a snapshot taken before
 * must all have ended. Goroutines that are still winding down are given a grace period: while new
 * ones remain, the check takes another snapshot (from one sidecar, kept for the retries) until
 * none remain or the period is over; then it fails with the new goroutines of the last snapshot,
 * grouped. Goroutines can be ignored by function, as goleak's IgnoreTopFunction and
 * IgnoreAnyFunction do.
 *
 * <pre>{@code
 * LeakCheck check = LeakCheck.defaults().withGrace(Duration.ofSeconds(30))
 *     .ignoringTopFunction("net/http.(*persistConn).readLoop");
 * Goroutines.of(service).assertNoGrowthSince(before, check);
 * }</pre>
 */
public final class LeakCheck {
  /** What {@link Goroutines#assertNoGrowthSince(Goroutines)} gives goroutines to end. */
  public static final Duration DEFAULT_GRACE = Duration.ofSeconds(10);
  /** Between two snapshots of a retry (each snapshot itself takes about a second). */
  private static final Duration PAUSE = Duration.ofMillis(200);

  private final Duration grace;
  private final List<Predicate<Goroutine>> ignored;

  private LeakCheck(Duration grace, List<Predicate<Goroutine>> ignored) {
    this.grace = grace;
    this.ignored = List.copyOf(ignored);
  }

  public static LeakCheck defaults() {
    return new LeakCheck(DEFAULT_GRACE, List.of());
  }

  /** How long new goroutines may take to end; {@link Duration#ZERO}: judge the snapshot given, no retry. */
  public LeakCheck withGrace(Duration period) {
    if (period.isNegative()) {
      throw new IllegalArgumentException("a negative grace period: " + period);
    }
    return new LeakCheck(period, ignored);
  }

  /** Ignores goroutines that match. */
  public LeakCheck ignoring(Predicate<Goroutine> goroutine) {
    List<Predicate<Goroutine>> more = new ArrayList<>(ignored);
    more.add(goroutine);
    return new LeakCheck(grace, more);
  }

  /** Ignores goroutines whose innermost shown frame is this function (goleak's IgnoreTopFunction). */
  public LeakCheck ignoringTopFunction(String function) {
    return ignoring(g -> g.topFunction().equals(function));
  }

  /** Ignores goroutines with this function anywhere in their stack (goleak's IgnoreAnyFunction). */
  public LeakCheck ignoringAnyFunction(String function) {
    return ignoring(g -> g.frames().stream().anyMatch(f -> f.function().equals(function)));
  }

  public Duration grace() {
    return grace;
  }

  /** The goroutines of {@code now} that were not in {@code before} and are not ignored. */
  public List<Goroutine> leaked(Goroutines before, Goroutines now) {
    return now.newSince(before).stream().filter(g -> ignored.stream().noneMatch(p -> p.test(g))).toList();
  }

  /**
   * Returns the snapshot in which no new goroutine remains ({@code after} itself when it has
   * none), or fails with those of the last snapshot taken. A snapshot that {@link Goroutines#of}
   * did not take (one parsed from a document) cannot be taken again: it is judged as it is.
   */
  public Goroutines assertNoGrowth(Goroutines before, Goroutines after) {
    List<Goroutine> leaked = leaked(before, after);
    if (leaked.isEmpty()) {
      return after;
    }
    if (grace.isZero() || after.source() == null) {
      throw failure(before, after, leaked, 1, Duration.ZERO);
    }
    long start = System.nanoTime();
    long deadline = start + grace.toNanos();
    int snapshots = 1;
    Goroutines now = after;
    try (AgentSidecar agent = after.source().sidecar()) {
      agent.start();
      do {
        pause();
        now = after.source().take(agent);
        snapshots++;
        leaked = leaked(before, now);
        if (leaked.isEmpty()) {
          return now;
        }
      } while (System.nanoTime() < deadline);
    }
    throw failure(before, now, leaked, snapshots, Duration.ofNanos(System.nanoTime() - start));
  }

  private AssertionError failure(Goroutines before, Goroutines now, List<Goroutine> leaked, int snapshots,
                                 Duration waited) {
    String where = now.source() == null ? "the process" : "the main process of " + now.source().container().getDockerImageName();
    return new AssertionError(leaked.size() + (leaked.size() == 1 ? " goroutine" : " goroutines") + " of " + where
        + " started since the snapshot before " + (leaked.size() == 1 ? "is" : "are") + " still there"
        + (snapshots == 1 ? "" : " after " + waited.toMillis() + " ms (grace period " + shown(grace) + ", " + snapshots + " snapshots)")
        + "; " + before.count() + " goroutines before, " + now.count() + " now:\n\n"
        + GoroutineGroup.text(Goroutines.group(leaked)));
  }

  /** "10 s", "2500 ms". */
  private static String shown(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  private static void pause() {
    try {
      Thread.sleep(PAUSE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for goroutines to end", e);
    }
  }
}
