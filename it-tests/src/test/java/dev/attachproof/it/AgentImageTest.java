package dev.attachproof.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import com.github.dockerjava.api.exception.NotFoundException;
import dev.attachproof.testcontainers.AgentImage;
import dev.attachproof.testcontainers.Attachability;
import dev.attachproof.testcontainers.DoctorReport;
import dev.attachproof.testcontainers.Security;
import dev.attachproof.testing.Schemas;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.DockerClientFactory;

/** The library builds the agent image it needs when it is missing, or runs the one named. */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class AgentImageTest {
  /** A tag of its own: the shared attachproof/agent:local is never removed. */
  private static final String TAG = "attachproof/agent:library-test";

  @Test
  void aMissingImageIsBuiltFromTheCheckoutAndRuns() {
    Images.ensureBuilt();
    remove(TAG);
    assertFalse(exists(TAG));
    try (GoTarget target = new GoTarget(Security.DEFAULT)) {
      target.start();
      DoctorReport report = Attachability.check(target, Security.DEFAULT, AgentImage.builtAs(TAG));
      Schemas.assertValid(report.json().toString());
      assertEquals("attachable", report.verdict(), report::toString);
      assertTrue(exists(TAG), "no " + TAG + " after the check");
    } finally {
      remove(TAG);
    }
  }

  @Test
  void aNamedImageIsUsedAsNamed() {
    Images.ensureBuilt();
    try (GoTarget target = new GoTarget(Security.DEFAULT)) {
      target.start();
      DoctorReport report = Attachability.check(target, Security.DEFAULT,
          AgentImage.named(Images.AGENT.asCanonicalNameString()));
      assertEquals("attachable", report.verdict(), report::toString);
    }
  }

  private static boolean exists(String tag) {
    try {
      DockerClientFactory.lazyClient().inspectImageCmd(tag).exec();
      return true;
    } catch (NotFoundException e) {
      return false;
    }
  }

  private static void remove(String tag) {
    if (exists(tag)) {
      DockerClientFactory.lazyClient().removeImageCmd(tag).withForce(true).withNoPrune(true).exec();
    }
  }
}
