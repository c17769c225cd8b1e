package dev.attachproof.it;

import dev.attachproof.testcontainers.AgentSidecar;
import dev.attachproof.testcontainers.DoctorReport;
import dev.attachproof.testcontainers.Security;
import dev.attachproof.testing.Schemas;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The library's sidecars and reports, with the contract enforced on every document: each one the
 * agent prints is valid against the schema it names (docs/schemas), or the test fails.
 */
final class SchemaChecked {
  private SchemaChecked() {}

  static AgentSidecar sidecar(GenericContainer<?> target, Security security) {
    return new AgentSidecar(target, security).withDocumentCheck(Schemas::assertValidIfDocument);
  }

  static AgentSidecar sidecar(DockerImageName image, String pidMode, Security security) {
    return new AgentSidecar(image, pidMode, security).withDocumentCheck(Schemas::assertValidIfDocument);
  }

  /** A doctor report; attachproof.doctor/v1, docs/schemas/doctor.v1.schema.json. */
  static DoctorReport doctorReport(int exitCode, String stdout, String stderr) {
    Schemas.assertValid(stdout);
    return DoctorReport.parse(exitCode, stdout, stderr);
  }
}
