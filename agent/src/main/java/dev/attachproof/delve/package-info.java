/**
 * What Delve supports. Delve decides from the target's Go version whether it can debug it
 * ({@code pkg/goversion/compat.go}), but only when it launches a program or opens a core: on
 * attach it does not check, so a Delve too old for the target attaches and then misbehaves. This
 * package knows each release's supported Go range (a table generated from Delve's own source at
 * every release tag, {@code delve-go-ranges.tsv}), finds which Delve a binary is, and says
 * whether it supports a target, with the exact error Delve would print and the releases that do.
 * When no Delve is named, {@code DelveLocator} finds the one VS Code's Go extension would run
 * (its settings, then GOBIN, GOPATH, ~/go/bin and PATH) and says where it found it.
 * It also makes the attach an editor makes: {@link dev.attachproof.delve.DapClient} speaks the
 * Debug Adapter Protocol (the framing by hand, the bodies with Jackson), and
 * {@link dev.attachproof.delve.DapAttach} drives {@code dlv dap} through the requests VS Code's Go
 * extension sends, each with a timeout, and checks that the target runs on untraced afterwards.
 */
package dev.attachproof.delve;
