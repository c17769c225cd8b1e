package dev.attachproof.cli;

import dev.attachproof.delve.DelveLocator;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/** {@code --dlv PATH} and {@code --workspace DIR}, shared by doctor and compat: which Delve to judge. */
final class DelveOptions {

    @Option(names = "--dlv", paramLabel = "PATH",
            description = "The Delve binary to check against the target's Go version (default: the one VS Code's Go extension would run: "
                    + "go.alternateTools.dlv, go.toolsGopath, $GOBIN, GOPATH/bin, ~/go/bin, PATH).")
    String dlv;

    @Option(names = "--workspace", paramLabel = "DIR",
            description = "A VS Code workspace folder: its .vscode/settings.json counts first when looking for Delve.")
    Path workspace;

    /** The Delve named, else the search's answer; a --workspace that is not a directory is bad input. */
    DelveLocator.Search search() {
        if (workspace != null && !Files.isDirectory(workspace)) {
            throw new BadInputException("--workspace " + workspace + ": not a directory");
        }
        DelveLocator locator = new DelveLocator(DelveLocator.Environment.live());
        return dlv != null ? locator.named(Path.of(dlv)) : locator.locate(workspace == null ? null : workspace.toAbsolutePath().normalize());
    }
}
