package io.inkflow.inference.runtime;

import java.util.List;

/** Closing a pipeline's stages: every one is closed, the first failure is thrown with the others suppressed. */
public final class Closeables {
  private Closeables() {}

  /**
   * Closes {@code resources} in order.
   *
   * @param primary a failure already in flight (a load that failed half-way): later failures are added
   *     to it as suppressed, and null is returned
   * @return the first failure when {@code primary} is null, else null
   */
  public static RuntimeException closeAll(List<? extends AutoCloseable> resources, RuntimeException primary) {
    RuntimeException failure = primary;
    for (AutoCloseable resource : resources) {
      try {
        resource.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = e instanceof RuntimeException ? (RuntimeException) e : new IllegalStateException(e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    return primary == null ? failure : null;
  }
}
