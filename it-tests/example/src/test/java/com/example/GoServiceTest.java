package com.example;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;

import dev.attachproof.testcontainers.Attachability;
import dev.attachproof.testcontainers.DoctorReport;
import dev.attachproof.testcontainers.Goroutines;
import dev.attachproof.testcontainers.LeakCheck;
import dev.attachproof.testcontainers.NoGoroutineLeaks;
import dev.attachproof.testcontainers.Security;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

class GoServiceTest {
  // Your Go service. Here attachproof's test program, which parks eight goroutines and says READY.
  static final GenericContainer<?> service = new GenericContainer<>("attachproof/go-target:go1.22")
      .withCommand("-hold", "forever", "-goroutines", "8")
      .withNetworkMode("none")   // this machine's Docker engine has no bridge network
      .waitingFor(Wait.forLogMessage("READY.*\\n", 1));

  // Around each test: a goroutine snapshot before, and after it no goroutine more (goleak, from outside).
  @RegisterExtension
  NoGoroutineLeaks noLeaks = NoGoroutineLeaks.in(() -> service)
      .with(LeakCheck.defaults().withGrace(Duration.ofSeconds(5)));

  @BeforeAll
  static void start() {
    service.start();
  }

  @AfterAll
  static void stop() {
    service.stop();
  }

  @Test
  void aDebuggerSidecarCanAttach() {
    // Fails with the failing checks, their evidence and remedy when it cannot.
    DoctorReport report = Attachability.assertAttachable(service, Security.DEFAULT.withCapSysPtrace());
    assertEquals("go1.22.0", report.proof().path("goVersion").asText());
  }

  @Test
  void itsWorkersAreParked() {
    Goroutines now = Goroutines.of(service);
    long parked = now.goroutines().stream()
        .filter(g -> g.frames().stream().anyMatch(f -> f.function().equals("main.parked")))
        .count();
    assertEquals(8, parked, now.toString());   // toString: the goroutines grouped, as Go prints them
  }
}
