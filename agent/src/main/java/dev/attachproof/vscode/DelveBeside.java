package dev.attachproof.vscode;

import java.util.ArrayList;
import java.util.List;

/**
 * The commands that start a headless Delve beside a target in a container, for VS Code's remote
 * attach: in the target's PID namespace, with CAP_SYS_PTRACE, listening where the editor can
 * reach it. {@code dlv attach PID --headless --listen=:PORT --api-version=2 --accept-multiclient}
 * as Delve's and VS Code Go's documentation give it; PID is the target's pid in its own namespace.
 * <ul>
 * <li>Docker: a sidecar container in the target's PID namespace ({@code --pid=container:ID}),
 * run as root with SYS_PTRACE added, in the host's network listening on its loopback (no port
 * to publish, no bridge needed, nothing exposed beyond this host); the dlv found
 * here is mounted into it, on the target's own image (a static dlv runs on any image, even
 * {@code FROM scratch}), so nothing needs building.</li>
 * <li>Kubernetes: an ephemeral container ({@code kubectl debug --target}, profile general: it adds
 * SYS_PTRACE) from an image that holds dlv, then {@code kubectl port-forward}.</li>
 * <li>Anything else: Delve run on the host by root, which reaches into every namespace.</li>
 * </ul>
 */
public final class DelveBeside {
    /** Where a Docker sidecar's Delve listens: the host's loopback (it shares the host's network), where VS Code connects. */
    static final String REMOTE_LOOPBACK = LaunchAdvice.REMOTE_HOST;
    /** Where the dlv found here is mounted in a Docker sidecar. */
    static final String MOUNTED_DLV = "/dlv";

    /**
     * What to run, in order, and what to know about it.
     *
     * @param commands shell commands, each ready to paste (placeholders in capitals where this host cannot know)
     * @param notes    what a command assumes
     */
    public record Start(List<String> commands, List<String> notes) {}

    private DelveBeside() {}

    /** {@code dlv attach ...} arguments after the program name, for the target's pid {@code pid}. */
    static String attachArguments(int pid, String listen) {
        return "attach " + pid + " --headless --listen=" + listen + " --api-version=2 --accept-multiclient";
    }

    /**
     * @param dlv       the dlv found here (null: none), to mount into a Docker sidecar
     * @param dlvStatic whether it is statically linked (runs on any image)
     * @param image     the target container's image, when known (Docker)
     */
    public static Start of(TargetPlace place, int port, String dlv, boolean dlvStatic, String image) {
        List<String> commands = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        String args = attachArguments(place.pidInside(), ":" + port);
        switch (place.runtime() == null ? "" : place.runtime()) {
            case "docker" -> {
                String name = "attachproof-dlv-" + place.shortId();
                commands.add("docker run -d --rm --name " + name + " --pid=container:" + place.containerId()
                        + " --network=host --user 0:0 --cap-add=SYS_PTRACE"
                        + " -v " + (dlv == null ? "/PATH/TO/dlv" : dlv) + ":" + MOUNTED_DLV + ":ro --entrypoint " + MOUNTED_DLV
                        + " " + (image == null ? "IMAGE" : image) + " " + attachArguments(place.pidInside(), REMOTE_LOOPBACK + ":" + port));
                if (dlv == null) {
                    notes.add("no dlv found here: put a static one's path for /PATH/TO/dlv "
                            + "(CGO_ENABLED=0 go install github.com/go-delve/delve/cmd/dlv@latest)");
                } else if (!dlvStatic) {
                    notes.add(dlv + " is dynamically linked: it runs only on an image with its C library; "
                            + "a static one runs on any: CGO_ENABLED=0 go install github.com/go-delve/delve/cmd/dlv@latest");
                }
                if (image == null) {
                    notes.add("IMAGE: the target container's image (docker inspect --format '{{.Config.Image}}' "
                            + place.shortId() + "), or any image the mounted dlv runs on");
                }
                notes.add("afterwards: docker rm -f " + name + " (Delve detaches; the target runs on)");
            }
            case "kubernetes" -> {
                TargetPlace.KubePod pod = place.pod() == null ? new TargetPlace.KubePod(null, null, null) : place.pod();
                String ns = pod.namespace() == null ? "NAMESPACE" : pod.namespace();
                String name = pod.name() == null ? "POD" : pod.name();
                commands.add("kubectl debug -n " + ns + " " + name + " --profile=general --target="
                        + (pod.container() == null ? "CONTAINER" : pod.container()) + " --image=DLV_IMAGE -- dlv " + args);
                commands.add("kubectl port-forward -n " + ns + " pod/" + name + " " + port + ":" + port);
                notes.add("DLV_IMAGE: an image with dlv on its PATH (the pod's nodes must be able to pull it)");
                if (pod.container() == null) {
                    notes.add("CONTAINER: the name of the pod's container whose process is pid " + place.pidInside()
                            + " (kubectl get pod " + name + " -n " + ns + " -o jsonpath='{.spec.containers[*].name}')");
                }
                notes.add("--profile=general adds SYS_PTRACE; a namespace that enforces Pod Security baseline or restricted "
                        + "refuses the ephemeral container (attachproof doctor explains the ptrace rules met there)");
            }
            default -> {
                commands.add("sudo " + (dlv == null ? "dlv" : dlv) + " attach " + place.hostPid() + " --headless --listen=127.0.0.1:"
                        + port + " --api-version=2 --accept-multiclient");
                notes.add("run on the host, as root: it reaches the process in its namespaces");
            }
        }
        return new Start(List.copyOf(commands), List.copyOf(notes));
    }
}
