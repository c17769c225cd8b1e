package dev.attachproof.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import dev.attachproof.testcontainers.Attachability;
import dev.attachproof.testcontainers.DoctorReport;
import dev.attachproof.testcontainers.Security;
import dev.attachproof.testing.Schemas;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/** How a test author uses {@link Attachability} on a container of their own. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AttachabilityExampleTest {

  @Test
  void aServiceContainerIsAttachableFromADebuggerSidecar() {
    Images.ensureBuilt();
    // Any container whose main process is a Go program: here the Go fixture image, as uid 1000.
    try (GenericContainer<?> service = new GenericContainer<>(Images.GO_TARGET)
        .withCommand("-hold", "forever")
        .withNetworkMode("none")
        .withLabel(Images.LABEL, "example")
        .withCreateContainerCmdModifier(cmd -> cmd.withUser("1000"))
        .waitingFor(Wait.forLogMessage("READY.*\\n", 1))) {
      service.start();

      // A debugger sidecar with CAP_SYS_PTRACE can attach to it, whatever its uid.
      DoctorReport report = Attachability.assertAttachable(service, Security.DEFAULT.withCapSysPtrace());
      assertEquals("go1.22.0", report.proof().path("goVersion").asText());

      Schemas.assertValid(report.json().toString());

      // One with Docker's defaults cannot (another uid, no CAP_SYS_PTRACE), and the assertion
      // says why: the failing check, the evidence that proves it and the remedy.
      AssertionError denied = assertThrows(AssertionError.class, () -> Attachability.assertAttachable(service));
      DoctorReport refused = Attachability.check(service, Security.DEFAULT);
      Schemas.assertValid(refused.json().toString());
      assertEquals("EPERM", refused.errno(), refused::toString);
      assertTrue(refused.checksWith("fail").contains("credentials.uid"), refused::toString);
      var uid = refused.check("credentials.uid");
      assertTrue(denied.getMessage().contains("\n  credentials.uid: " + uid.path("summary").asText()
          + "\n    evidence: " + uid.path("evidence")
          + "\n    remedy: " + uid.path("remedy").asText()), denied.getMessage());
      assertTrue(uid.path("evidence").toString().contains("1000"), uid::toString);
    }
  }
}
