package dev.attachproof.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.attachproof.testcontainers.AgentSidecar;
import dev.attachproof.testcontainers.GoroutineGroup;
import dev.attachproof.testcontainers.Goroutines;
import dev.attachproof.testcontainers.LeakCheck;
import dev.attachproof.testcontainers.Security;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.containers.Container.ExecResult;

/**
 * The goroutine leak check from outside a container, on a real Go service (LeakyService): it
 * fails with the new goroutines grouped when a request leaves workers behind, passes when they
 * end, and waits for goroutines that end within the grace period.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class LeakCheckTest {

  @Test
  void aLeakingServiceFailsWithTheNewGoroutinesGroupedAsTheAgentGroupsThem() {
    try (LeakyService service = new LeakyService("-leak")) {
      Snapshots s = Snapshots.aroundRequest(service, "HANDLED");
      Goroutines before = s.before();
      Goroutines after = s.after();

      // Ten workers, one result taken: nine block forever on their send.
      assertEquals(9, after.newSince(before).size(), after::toString);
      assertEquals(before.count() + 9, after.count(), after::toString);
      AssertionError leak = assertThrows(AssertionError.class,
          () -> after.assertNoGrowthSince(before, LeakCheck.defaults().withGrace(Duration.ofSeconds(2))));
      String message = leak.getMessage();
      System.out.println(message);
      List<Long> ids = after.newSince(before).stream().map(Goroutines.Goroutine::id).sorted().toList();
      GoroutineGroup group = Goroutines.group(after.newSince(before)).getFirst();
      assertEquals(ids, group.ids());
      assertTrue(message.startsWith("9 goroutines of the main process of " + LeakyService.IMAGE.asCanonicalNameString()
          + " started since the snapshot before are still there after "), message);
      Matcher snapshots = Pattern.compile("grace period 2 s, (\\d+) snapshots\\)").matcher(message);
      assertTrue(snapshots.find() && Integer.parseInt(snapshots.group(1)) >= 2, message);
      // The stacks, grouped: one group, the workers parked on their send, created by the handler.
      String header = group.toString().lines().findFirst().orElseThrow() + "\n";
      assertTrue(header.startsWith("9 goroutines [chan send], ids "), header);
      assertTrue(message.matches("(?s).*:\n\n" + Pattern.quote(header) + "main\\.worker\\(\\.\\.\\.\\)\n\t/\\S+/leaky/main\\.go:\\d+\n"
          + "created by main\\.handle\n\t/\\S+/leaky/main\\.go:\\d+\n"), message);

      // The agent's own --group makes the same group of the same goroutines.
      try (AgentSidecar agent = SchemaChecked.sidecar(service, Security.DEFAULT.withCapSysPtrace())) {
        agent.start();
        ExecResult grouped = agent.attachproof("goroutines", "1", "--group");
        assertEquals(0, grouped.getExitCode(), grouped::getStderr);
        assertTrue(grouped.getStdout().contains(header), grouped.getStdout() + "\nlacks\n" + header);
        Goroutines validated = agent.goroutines(1);   // its document checked against the schema
        assertEquals(after.count(), validated.count(), validated::toString);
      }
    }
  }

  @Test
  void aServiceWhoseWorkersEndPasses() {
    try (LeakyService service = new LeakyService()) {
      service.start();
      Goroutines before = Goroutines.of(service);
      service.request(1, "HANDLED");
      service.request(2, "HANDLED");
      Goroutines after = Goroutines.of(service).assertNoGrowthSince(before);
      assertEquals(List.of(), after.newSince(before), after::toString);
      assertEquals(before.count(), after.count());
    }
  }

  @Test
  void goroutinesThatEndWithinTheGracePeriodPass() {
    try (LeakyService service = new LeakyService("-hold")) {
      Snapshots s = Snapshots.aroundRequest(service, "STARTED");
      Goroutines before = s.before();
      Goroutines after = s.after();
      // The handler waits for a result, its ten workers for the release.
      assertEquals(11, after.newSince(before).size(), after::toString);
      AssertionError noGrace = assertThrows(AssertionError.class,
          () -> after.assertNoGrowthSince(before, LeakCheck.defaults().withGrace(Duration.ZERO)));
      assertTrue(noGrace.getMessage().contains("10 goroutines [chan receive], ids "), noGrace.getMessage());
      assertTrue(noGrace.getMessage().contains("main.handle("), noGrace.getMessage());

      service.release();
      Goroutines settled = after.assertNoGrowthSince(before, LeakCheck.defaults().withGrace(Duration.ofSeconds(60)));
      assertNotSame(after, settled, "the check judged a later snapshot");
      assertEquals(List.of(), settled.newSince(before), settled::toString);
    }
  }

  @Test
  void ignoredGoroutinesAreNotLeaks() {
    try (LeakyService service = new LeakyService("-leak")) {
      Snapshots s = Snapshots.aroundRequest(service, "HANDLED");
      Goroutines before = s.before();
      Goroutines after = s.after();
      after.assertNoGrowthSince(before, LeakCheck.defaults().withGrace(Duration.ZERO).ignoringAnyFunction("main.worker"));
      AssertionError other = assertThrows(AssertionError.class, () -> after.assertNoGrowthSince(before,
          LeakCheck.defaults().withGrace(Duration.ZERO).ignoringTopFunction("main.handle")));
      assertTrue(other.getMessage().startsWith("9 goroutines"), other.getMessage());
    }
  }

  /** The service's goroutines before its first request, and once it printed {@code line} for it. */
  private record Snapshots(Goroutines before, Goroutines after) {
    static Snapshots aroundRequest(LeakyService service, String line) {
      service.start();
      Goroutines before = Goroutines.of(service);
      service.request(1, line);
      return new Snapshots(before, Goroutines.of(service));
    }
  }
}
