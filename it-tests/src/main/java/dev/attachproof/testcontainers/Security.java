package dev.attachproof.testcontainers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Capability;

/**
 * The security settings of one container, as `docker run` options: the user (--user), added
 * CAP_SYS_PTRACE (--cap-add SYS_PTRACE), --privileged, the seccomp profile (Docker's default,
 * unconfined, or a profile file passed by content, as the docker CLI does) and
 * --security-opt no-new-privileges.
 */
public record Security(String user, boolean capSysPtrace, boolean privileged, Seccomp seccomp,
    boolean noNewPrivileges) {

  /** A seccomp profile: its name as shown, and what goes into {@code seccomp=} ("unconfined" or the JSON). */
  public record Seccomp(String name, String profile) {
    static final Seccomp UNCONFINED = new Seccomp("unconfined", "unconfined");

    /** A profile file (JSON), read now. */
    public static Seccomp of(Path file) {
      try {
        return new Seccomp(file.getFileName().toString(), Files.readString(file));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the seccomp profile " + file, e);
      }
    }
  }


  /** `docker run` with no options: root, Docker's default capabilities and seccomp profile. */
  public static final Security DEFAULT = new Security(null, false, false, null, false);

  public Security withUser(String u) { return new Security(u, capSysPtrace, privileged, seccomp, noNewPrivileges); }
  public Security withCapSysPtrace() { return new Security(user, true, privileged, seccomp, noNewPrivileges); }
  public Security withPrivileged() { return new Security(user, capSysPtrace, true, seccomp, noNewPrivileges); }
  public Security withSeccompUnconfined() { return new Security(user, capSysPtrace, privileged, Seccomp.UNCONFINED, noNewPrivileges); }
  /** A seccomp profile file (JSON), e.g. one of attachproof's containers/seccomp. */
  public Security withSeccompProfile(Path file) { return new Security(user, capSysPtrace, privileged, Seccomp.of(file), noNewPrivileges); }
  public Security withNoNewPrivileges() { return new Security(user, capSysPtrace, privileged, seccomp, true); }

  /** Applies the settings to a container about to be created. */
  public void applyTo(CreateContainerCmd cmd) {
    if (user != null) {
      cmd.withUser(user);
    }
    var host = cmd.getHostConfig();
    if (capSysPtrace) {
      host.withCapAdd(Capability.SYS_PTRACE);
    }
    List<String> opts = new ArrayList<>();
    if (privileged && PrivilegedSupport.engineStartsPrivileged(cmd.getImage())) {
      host.withPrivileged(true);
    } else if (privileged) {
      // What --privileged grants, less what this machine cannot give: every capability but
      // those missing from dockerd's own bounding set, and no seccomp filter (see
      // PrivilegedSupport for why --privileged itself fails here).
      host.withCapAdd(Capability.ALL);
      host.withCapDrop(PrivilegedSupport.capabilitiesTheEngineLacks().toArray(Capability[]::new));
      opts.add("seccomp=unconfined");
    }
    if (seccomp != null) {
      opts.add("seccomp=" + seccomp.profile());
    }
    if (noNewPrivileges) {
      opts.add("no-new-privileges");
    }
    if (!opts.isEmpty()) {
      host.withSecurityOpts(opts);
    }
  }

  @Override
  public String toString() {
    List<String> parts = new ArrayList<>();
    if (user != null) parts.add("--user " + user);
    if (capSysPtrace) parts.add("--cap-add SYS_PTRACE");
    if (privileged) parts.add(PrivilegedSupport.privilegedKnownToFail() ? PrivilegedSupport.EQUIVALENT : "--privileged");
    if (seccomp != null) parts.add("seccomp=" + seccomp.name());
    if (noNewPrivileges) parts.add("no-new-privileges");
    return parts.isEmpty() ? "defaults" : String.join(" ", parts);
  }
}
