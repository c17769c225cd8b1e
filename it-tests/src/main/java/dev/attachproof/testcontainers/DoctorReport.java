package dev.attachproof.testcontainers;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * `attachproof doctor PID --json` (schema attachproof.doctor/v1, docs/schemas/doctor.v1.schema.json)
 * as a test reads it: the exit status, the verdict and prediction, the checks by id, and the proof.
 */
public record DoctorReport(int exitCode, JsonNode json, String stderr) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What `attachproof doctor PID --json` printed, and its exit status. */
  public static DoctorReport parse(int exitCode, String stdout, String stderr) {
    try {
      JsonNode json = JSON.readTree(stdout);
      if (json == null || !json.path("schema").asText().equals("attachproof.doctor/v1")) {
        throw new IllegalStateException("doctor printed no attachproof.doctor/v1 document (exit " + exitCode + "): "
            + stdout + stderr);
      }
      return new DoctorReport(exitCode, json, stderr);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("doctor printed no JSON (exit " + exitCode + "): " + stdout + stderr, e);
    }
  }

  public String verdict() { return json.path("verdict").asText(); }
  public String predicted() { return json.path("predicted").asText(); }
  public boolean contradiction() { return !json.path("contradiction").isNull() && !json.path("contradiction").isMissingNode(); }
  public JsonNode proof() { return json.path("proof"); }
  public boolean proofOk() { return proof().path("ok").asBoolean(); }
  /** The proof's errno name (EPERM, …), or null when it succeeded. */
  public String errno() { return proof().path("errno").isNull() ? null : proof().path("errno").asText(); }

  public JsonNode check(String id) {
    for (JsonNode c : json.path("checks")) {
      if (c.path("id").asText().equals(id)) {
        return c;
      }
    }
    throw new AssertionError("no check " + id + " in " + json);
  }

  public String status(String id) { return check(id).path("status").asText(); }

  /** Ids of the checks with the given status, in the doctor's order. */
  public List<String> checksWith(String status) {
    List<String> ids = new ArrayList<>();
    for (JsonNode c : json.path("checks")) {
      if (c.path("status").asText().equals(status)) {
        ids.add(c.path("id").asText());
      }
    }
    return ids;
  }

  /**
   * The failing checks, for assertion messages: per check a line with its id and summary, one
   * with its evidence (the errno or file that proves it) and one with its remedy.
   */
  public String failures() {
    StringBuilder s = new StringBuilder();
    for (JsonNode c : json.path("checks")) {
      if (c.path("status").asText().equals("fail")) {
        s.append("\n  ").append(c.path("id").asText()).append(": ").append(c.path("summary").asText())
            .append("\n    evidence: ").append(c.path("evidence"))
            .append("\n    remedy: ").append(c.path("remedy").isNull() ? "none given" : c.path("remedy").asText());
      }
    }
    return s.toString();
  }

  @Override
  public String toString() {
    return "doctor exit " + exitCode + ", verdict " + verdict() + ", predicted " + predicted()
        + ", proof " + proof() + failures();
  }
}
