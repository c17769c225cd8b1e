package dev.attachproof.it;

import java.time.Duration;

import dev.attachproof.testcontainers.LeakCheck;
import dev.attachproof.testcontainers.NoGoroutineLeaks;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tests as a user writes them with {@link NoGoroutineLeaks}, run by {@link NoGoroutineLeaksTest}
 * (which judges their outcome) against the service it starts; not a test class of its own (no
 * "Test" in its name, so surefire does not run it).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LeakyRequests {
  static LeakyService service;
  private static int requests;

  @RegisterExtension
  NoGoroutineLeaks noLeaks = NoGoroutineLeaks.in(() -> service).with(LeakCheck.defaults().withGrace(Duration.ofSeconds(2)));

  static void beside(LeakyService s) {
    service = s;
    requests = 0;
  }

  @Test
  @Order(1)
  void oneRequest() {
    service.request(++requests, "HANDLED");
  }

  /** After a leaking request: the goroutines it left were there before this test. */
  @Test
  @Order(2)
  void noRequest() {
  }
}
