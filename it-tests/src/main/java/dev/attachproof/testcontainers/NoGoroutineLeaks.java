package dev.attachproof.testcontainers;

import java.util.function.Supplier;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.containers.GenericContainer;

/**
 * A JUnit 5 extension: a goroutine snapshot of a container's main process before each test, and
 * the {@link LeakCheck} after it. A test that failed already is not checked (its own failure says
 * more). The container is asked for by a supplier, so that it may be started in a
 * {@code @BeforeAll} or by Testcontainers' own extension.
 *
 * <pre>{@code
 * @RegisterExtension
 * NoGoroutineLeaks noLeaks = NoGoroutineLeaks.in(() -> service)
 *     .with(LeakCheck.defaults().withGrace(Duration.ofSeconds(5)));
 * }</pre>
 */
public final class NoGoroutineLeaks implements BeforeEachCallback, AfterEachCallback {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(NoGoroutineLeaks.class);

  private final Supplier<? extends GenericContainer<?>> container;
  private final LeakCheck check;
  private final Security sidecar;
  private final AgentImage image;

  private NoGoroutineLeaks(Supplier<? extends GenericContainer<?>> container, LeakCheck check, Security sidecar,
                           AgentImage image) {
    this.container = container;
    this.check = check;
    this.sidecar = sidecar;
    this.image = image;
  }

  /** Checks this container's main process, from a sidecar with CAP_SYS_PTRACE, with {@link LeakCheck#defaults()}. */
  public static NoGoroutineLeaks in(Supplier<? extends GenericContainer<?>> container) {
    return new NoGoroutineLeaks(container, LeakCheck.defaults(), Security.DEFAULT.withCapSysPtrace(), AgentImage.configured());
  }

  public NoGoroutineLeaks with(LeakCheck leakCheck) {
    return new NoGoroutineLeaks(container, leakCheck, sidecar, image);
  }

  public NoGoroutineLeaks withSidecar(Security settings) {
    return new NoGoroutineLeaks(container, check, settings, image);
  }

  public NoGoroutineLeaks withAgentImage(AgentImage agentImage) {
    return new NoGoroutineLeaks(container, check, sidecar, agentImage);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    context.getStore(NAMESPACE).put(context.getUniqueId(), Goroutines.of(container.get(), sidecar, image));
  }

  @Override
  public void afterEach(ExtensionContext context) {
    Goroutines before = context.getStore(NAMESPACE).remove(context.getUniqueId(), Goroutines.class);
    if (before == null || context.getExecutionException().isPresent()) {
      return;
    }
    Goroutines.of(container.get(), sidecar, image).assertNoGrowthSince(before, check);
  }
}
