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

  private final S3Proxy proxy;
  private final BlobStore store;
  private final URI endpoint;

  private EmbeddedS3(S3Proxy proxy, BlobStore store, URI endpoint) {
    this.proxy = proxy;
    this.store = store;
    this.endpoint = endpoint;
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
    URI endpoint = URI.create("http://127.0.0.1:" + p);
    S3Proxy proxy = S3Proxy.builder()
        .blobStore(store)
        .endpoint(endpoint)
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
        // The AWS SDK v2 sends headers (checksums, SDK metadata) that s3proxy does not know.
        .ignoreUnknownHeaders(true)
        .jettyMaxThreads(16)
        .build();
    proxy.start();
    EmbeddedS3 s3 = new EmbeddedS3(proxy, store, endpoint);
    if (!"STARTED".equals(proxy.getState())) {
      s3.close();
      throw new IllegalStateException("s3proxy on " + endpoint + " did not start: state " + proxy.getState());
    }
    return s3;
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
  public void close() {
    try {
      proxy.stop();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop s3proxy on " + endpoint, e);
    }
  }
}
