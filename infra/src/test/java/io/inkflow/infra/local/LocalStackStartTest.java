package io.inkflow.infra.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.BindException;
import org.junit.jupiter.api.Test;

class LocalStackStartTest {

  @Test
  void aPortTakenBeforeAServerBoundItIsRecognisedThroughTheCauses() {
    RuntimeException kafka = new RuntimeException("Received a fatal error while waiting for all of the SocketServer Acceptors to be started",
        new RuntimeException("Unable to start acceptor for PLAINTEXT",
            new IllegalStateException("Socket server failed to bind to 127.0.0.1:40869: Address already in use.", new BindException("Address already in use"))));
    assertThat(LocalStack.portTaken(kafka)).isTrue();
    RuntimeException suppressed = new IllegalStateException("local stack failed to start");
    suppressed.addSuppressed(new java.io.UncheckedIOException(new BindException("Address already in use")));
    assertThat(LocalStack.portTaken(suppressed)).isTrue();
  }

  @Test
  void otherStartFailuresAreNot() {
    assertThat(LocalStack.portTaken(new IllegalStateException("S3 server failed to start: disk full"))).isFalse();
    assertThat(LocalStack.portTaken(new RuntimeException(new java.util.concurrent.TimeoutException("broker not ready")))).isFalse();
  }
}
