package dev.attachproof.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Capability;

/**
 * The security settings of one container, as `docker run` options: the user (--user), added
 * CAP_SYS_PTRACE (--cap-add SYS_PTRACE), --privileged, the seccomp profile (Docker's default,
 * unconfined, or one of containers/seccomp/*.json passed by content, as the docker CLI does) and
 * --security-opt no-new-privileges.
 */
public record Security(String user, boolean capSysPtrace, boolean privileged, String seccomp,
    boolean noNewPrivileges) {

  /** `docker run` with no options: root, Docker's default capabilities and seccomp profile. */
  public static final Security DEFAULT = new Security(null, false, false, null, false);

  public Security withUser(String u) { return new Security(u, capSysPtrace, privileged, seccomp, noNewPrivileges); }
  public Security withCapSysPtrace() { return new Security(user, true, privileged, seccomp, noNewPrivileges); }
  public Security withPrivileged() { return new Security(user, capSysPtrace, true, seccomp, noNewPrivileges); }
  public Security withSeccompUnconfined() { return new Security(user, capSysPtrace, privileged, "unconfined", noNewPrivileges); }
  /** A profile from containers/seccomp, by file name (e.g. "deny-ptrace.json"). */
  public Security withSeccompProfile(String file) { return new Security(user, capSysPtrace, privileged, file, noNewPrivileges); }
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
    if (privileged && PrivilegedSupport.engineStartsPrivileged()) {
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
      opts.add("seccomp=" + (seccomp.equals("unconfined") ? seccomp : profile(seccomp)));
    }
    if (noNewPrivileges) {
      opts.add("no-new-privileges");
    }
    if (!opts.isEmpty()) {
      host.withSecurityOpts(opts);
    }
  }

  private static String profile(String file) {
    try {
      return Files.readString(Images.repositoryRoot().resolve("containers/seccomp").resolve(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    List<String> parts = new ArrayList<>();
    if (user != null) parts.add("--user " + user);
    if (capSysPtrace) parts.add("--cap-add SYS_PTRACE");
    if (privileged) parts.add(PrivilegedSupport.engineStartsPrivileged() ? "--privileged" : PrivilegedSupport.EQUIVALENT);
    if (seccomp != null) parts.add("seccomp=" + seccomp);
    if (noNewPrivileges) parts.add("no-new-privileges");
    return parts.isEmpty() ? "defaults" : String.join(" ", parts);
  }
}
