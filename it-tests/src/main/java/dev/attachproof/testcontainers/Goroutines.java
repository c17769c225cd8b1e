package dev.attachproof.testcontainers;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.testcontainers.containers.GenericContainer;

/**
 * A goroutine snapshot of a container's main process, taken from outside: a sidecar in the
 * container's PID namespace runs `attachproof goroutines 1 --format json` (schema
 * attachproof.goroutines/v1), which stops the process for a moment and reads its goroutines out of
 * its memory. Only fields of that schema are read.
 *
 * <p>As in Go's own dumps, system goroutines are left out: {@link #goroutines()} and {@link
 * #count()} are what {@code runtime.NumGoroutine()} counts. {@link #assertNoGrowthSince} is the
 * check Go's goleak makes inside a process, made from outside the container.
 *
 * <pre>{@code
 * Goroutines before = Goroutines.of(service);
 * callTheService();
 * Goroutines.of(service).assertNoGrowthSince(before);
 * }</pre>
 */
public final class Goroutines {
  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** One goroutine: {@code waitReason} is null when it is not waiting. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Goroutine(long id, String status, String waitReason, boolean system, Map<String, String> labels,
      List<Frame> frames, CreatedBy createdBy) {
    /** The words between the brackets of Go's header: the wait reason, else the status. */
    public String state() {
      return waitReason == null || waitReason.isEmpty() ? status : waitReason;
    }

    /** The innermost frame's function, or "" for a goroutine without frames. */
    public String topFunction() {
      return frames.isEmpty() ? "" : frames.getFirst().function();
    }
  }

  /** A frame as Go's traceback prints it; {@code args} is the text between its parentheses. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Frame(String function, String file, int line, String pc, boolean inlined, String args) {
    /** What two frames of one group share: everything but the argument words. */
    Frame withoutArgs() {
      return new Frame(function, file, line, pc, inlined, null);
    }
  }

  /** Where the goroutine was started ("created by"); {@code goroutineId} is null before Go 1.21. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record CreatedBy(String function, String file, int line, Long goroutineId) {
    /** The site alone, as groups compare it: not the parent. */
    CreatedBy site() {
      return new CreatedBy(function, file, line, null);
    }
  }

  @JsonIgnoreProperties(ignoreUnknown = true)
  private record Document(String schema, int pid, String goVersion, List<Goroutine> goroutines) {}

  /** Where a snapshot came from, so that a check can take another. */
  record Source(GenericContainer<?> container, Security security, AgentImage image) {
    AgentSidecar sidecar() {
      return new AgentSidecar(image, container, security);
    }

    Goroutines take(AgentSidecar agent) {
      return agent.goroutines(1).from(this);
    }
  }

  private final Document document;
  private final List<Goroutine> shown;
  private final Source source;

  private Goroutines(Document document, Source source) {
    this.document = document;
    this.shown = document.goroutines().stream().filter(g -> !g.system()).toList();
    this.source = source;
  }

  /** From a sidecar with CAP_SYS_PTRACE (a debugger's setting), with the configured agent image. */
  public static Goroutines of(GenericContainer<?> container) {
    return of(container, Security.DEFAULT.withCapSysPtrace());
  }

  public static Goroutines of(GenericContainer<?> container, Security sidecar) {
    return of(container, sidecar, AgentImage.configured());
  }

  public static Goroutines of(GenericContainer<?> container, Security sidecar, AgentImage image) {
    Attachability.requireRunning(container);
    Source source = new Source(container, sidecar, image);
    try (AgentSidecar agent = source.sidecar()) {
      agent.start();
      return source.take(agent);
    }
  }

  /** A document `attachproof goroutines PID --format json` printed. */
  public static Goroutines parse(String json) {
    try {
      Document d = JSON.readValue(json, Document.class);
      if (d == null || !"attachproof.goroutines/v1".equals(d.schema()) || d.goroutines() == null) {
        throw new IllegalStateException("not an attachproof.goroutines/v1 document: " + json);
      }
      return new Goroutines(d, null);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("not an attachproof.goroutines/v1 document: " + json, e);
    }
  }

  private Goroutines from(Source s) {
    return new Goroutines(document, s);
  }

  Source source() {
    return source;
  }

  /** The goroutines, as Go's dump shows them (no system goroutines), in the agent's order. */
  public List<Goroutine> goroutines() {
    return shown;
  }

  /** How many: what the process's own {@code runtime.NumGoroutine()} would say. */
  public int count() {
    return shown.size();
  }

  public String goVersion() {
    return document.goVersion();
  }

  /** The goroutines that were not in {@code before} (goroutine ids are never reused). */
  public List<Goroutine> newSince(Goroutines before) {
    Set<Long> known = new HashSet<>();
    before.document.goroutines().forEach(g -> known.add(g.id()));
    return shown.stream().filter(g -> !known.contains(g.id())).toList();
  }

  /**
   * Goroutines with the same state and stack, as the agent's {@code --group} makes them: same
   * state words, same frames (function, file, line, pc) whatever their argument words, same
   * "created by" site; biggest group first.
   */
  public List<GoroutineGroup> group() {
    return group(shown);
  }

  /** Any goroutines grouped as {@link #group()} groups them (e.g. {@link #newSince}'s). */
  public static List<GoroutineGroup> group(List<Goroutine> goroutines) {
    Map<List<Object>, List<Goroutine>> groups = new LinkedHashMap<>();
    for (Goroutine g : goroutines) {
      List<Object> key = List.of(g.state(), g.frames().stream().map(Frame::withoutArgs).toList(),
          g.createdBy() == null ? "" : g.createdBy().site());
      groups.computeIfAbsent(key, k -> new ArrayList<>()).add(g);
    }
    List<GoroutineGroup> sorted = new ArrayList<>(groups.values().stream().map(GoroutineGroup::of).toList());
    sorted.sort((a, b) -> Integer.compare(b.count(), a.count()));
    return sorted;
  }

  /**
   * Fails unless every goroutine started since {@code before} has ended, retrying for {@link
   * LeakCheck#DEFAULT_GRACE} while they finish; the failure shows the new goroutines grouped.
   */
  public Goroutines assertNoGrowthSince(Goroutines before) {
    return LeakCheck.defaults().assertNoGrowth(before, this);
  }

  /** The same with a check of one's own (grace period, goroutines to ignore). */
  public Goroutines assertNoGrowthSince(Goroutines before, LeakCheck check) {
    return check.assertNoGrowth(before, this);
  }

  /** The grouped goroutines, as `attachproof goroutines --group` prints them (without +0x offsets). */
  @Override
  public String toString() {
    return GoroutineGroup.text(group());
  }
}
