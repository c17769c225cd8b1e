/**
 * attachproof for integration tests (artifact {@code dev.attachproof:attachproof-testcontainers}):
 * the agent image runs as a sidecar in a Testcontainers container's PID namespace, as a debugger
 * beside a service would, and answers two questions about the container's main Go process. {@link
 * dev.attachproof.testcontainers.Attachability}: can a debugger with these settings attach to it
 * (the doctor's report, and on failure the failing checks with their evidence and remedy)? {@link
 * dev.attachproof.testcontainers.Goroutines}: what are its goroutines, and did a test leave new
 * ones behind ({@link dev.attachproof.testcontainers.LeakCheck}, goleak's check from outside;
 * {@link dev.attachproof.testcontainers.NoGoroutineLeaks} makes it around every test). The agent
 * image is {@link dev.attachproof.testcontainers.AgentImage}: one the user names, or the local
 * build, made from an attachproof checkout when missing.
 */
package dev.attachproof.testcontainers;
