package dev.attachproof.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The JUnit 5 extension, judged from outside: {@link LeakyRequests} run by JUnit's launcher
 * beside a service whose requests leak workers, and beside one whose requests do not.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class NoGoroutineLeaksTest {

  @Test
  void theTestThatLeavesGoroutinesBehindFailsWithThemAndTheNextOnePasses() {
    try (LeakyService service = new LeakyService("-leak")) {
      service.start();
      TestExecutionSummary summary = run(service);
      assertEquals(2, summary.getTestsStartedCount());
      assertEquals(1, summary.getTestsSucceededCount());
      List<TestExecutionSummary.Failure> failures = summary.getFailures();
      assertEquals(1, failures.size());
      assertEquals("oneRequest()", failures.getFirst().getTestIdentifier().getDisplayName());
      String message = failures.getFirst().getException().getMessage();
      assertTrue(failures.getFirst().getException() instanceof AssertionError, message);
      assertTrue(message.startsWith("9 goroutines of the main process of "), message);
      assertTrue(message.contains("\n\n9 goroutines [chan send], ids "), message);
      assertTrue(message.contains("main.worker(...)\n"), message);
    }
  }

  @Test
  void testsWhoseRequestsEndTheirGoroutinesPass() {
    try (LeakyService service = new LeakyService()) {
      service.start();
      TestExecutionSummary summary = run(service);
      assertEquals(2, summary.getTestsSucceededCount(), () -> summary.getFailures().toString());
      assertEquals(0, summary.getTotalFailureCount());
    }
  }

  private static TestExecutionSummary run(LeakyService service) {
    LeakyRequests.beside(service);
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
        .selectors(DiscoverySelectors.selectClass(LeakyRequests.class)).build(), listener);
    return listener.getSummary();
  }
}
