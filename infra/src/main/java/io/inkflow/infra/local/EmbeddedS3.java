package io.inkflow.infra.local;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;

/**
 * An S3-compatible server (s3proxy) on 127.0.0.1 with AWS SigV2/V4 authentication, backed by memory
 * (tests) or a directory (the demo, so images survive a restart).
 */
public final class EmbeddedS3 implements AutoCloseable {
  /** Where the objects live. */
  public enum Storage { TRANSIENT, FILESYSTEM }

  private final BlobStore store;
  private final URI endpoint;
  private final String accessKey;
  private final String secretKey;
  /** The listening server; null while paused. */
  private S3Proxy proxy;

  private EmbeddedS3(BlobStore store, URI endpoint, String accessKey, String secretKey) {
    this.store = store;
    this.endpoint = endpoint;
    this.accessKey = accessKey;
    this.secretKey = secretKey;
  }

  /**
   * Starts the server.
   *
   * @param port the port, 0 for a free one
   * @param baseDir object directory when {@code storage} is FILESYSTEM
   */
  public static EmbeddedS3 start(int port, Storage storage, Path baseDir, String accessKey, String secretKey) throws Exception {
    Properties props = new Properties();
    props.setProperty("jclouds.identity", accessKey);
    props.setProperty("jclouds.credential", secretKey);
    String provider = "transient-nio2";
    if (storage == Storage.FILESYSTEM) {
      Files.createDirectories(baseDir);
      props.setProperty("jclouds.filesystem.basedir", baseDir.toAbsolutePath().toString());
      provider = "filesystem-nio2";
    }
    BlobStore store = BlobStores.create(provider, props);
    int p = Ports.orFree(port);
    EmbeddedS3 s3 = new EmbeddedS3(store, URI.create("http://127.0.0.1:" + p), accessKey, secretKey);
    s3.listen();
    return s3;
  }

  private synchronized void listen() throws Exception {
    S3Proxy server = S3Proxy.builder()
        .blobStore(store)
        .endpoint(endpoint)
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
        // The AWS SDK v2 sends headers (checksums, SDK metadata) that s3proxy does not know.
        .ignoreUnknownHeaders(true)
        .jettyMaxThreads(16)
        .build();
    server.start();
    proxy = server;
    if (!"STARTED".equals(server.getState())) {
      close();
      throw new IllegalStateException("s3proxy on " + endpoint + " did not start: state " + server.getState());
    }
  }

  /**
   * Simulates an outage: stops answering and closes the port; the objects are kept. Clients see
   * connection refused until {@link #resume()}.
   */
  public synchronized void pause() {
    if (proxy != null) {
      close();
    }
  }

  /** Listens again on the same port, with the same objects. */
  public synchronized void resume() throws Exception {
    if (proxy == null) {
      listen();
    }
  }

  /** Whether the server is listening (not paused or closed). */
  public synchronized boolean running() {
    return proxy != null;
  }

  /** Creates a bucket unless it exists, directly in the store (no HTTP client needed at start-up). */
  public void createBucket(String bucket) {
    if (!store.containerExists(bucket)) {
      store.createContainer(bucket);
    }
  }

  public URI endpoint() {
    return endpoint;
  }

  public int port() {
    return endpoint.getPort();
  }

  @Override
  public synchronized void close() {
    if (proxy == null) {
      return;
    }
    try {
      proxy.stop();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop s3proxy on " + endpoint, e);
    } finally {
      proxy = null;
    }
  }
}
