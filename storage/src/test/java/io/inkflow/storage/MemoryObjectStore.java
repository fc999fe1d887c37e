package io.inkflow.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * An {@link ObjectStore} in memory for tests (shipped in inkflow-storage's test-jar): objects and
 * their metadata by key, the URIs read, and writes that fail on demand as an outage would.
 */
public final class MemoryObjectStore implements ObjectStore {
  private final String bucket;
  /** Objects by key; tests may put and read them directly. */
  public final Map<String, byte[]> objects = new ConcurrentHashMap<>();
  /** Each object's user metadata, by key. */
  public final Map<String, Map<String, String>> metadata = new ConcurrentHashMap<>();
  /** Every URI {@link #get} was asked for, in order (reads may come from several threads). */
  public final List<String> reads = new CopyOnWriteArrayList<>();
  /** How many of the next writes fail, with a retryable error. */
  public final AtomicInteger failures = new AtomicInteger();
  /** Called with the key of every write, before it fails or succeeds. */
  public volatile Consumer<String> onPut = key -> {};

  /** A store whose URIs are {@code s3://bucket/key}. */
  public MemoryObjectStore(String bucket) {
    this.bucket = bucket;
  }

  @Override
  public void put(String key, byte[] body, String contentType, Map<String, String> meta) {
    write(key, body.clone(), meta);
  }

  @Override
  public void put(String key, Path file, String contentType) {
    try {
      write(key, Files.readAllBytes(file), Map.of());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void write(String key, byte[] body, Map<String, String> meta) {
    onPut.accept(key);
    if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new Unavailable("store unavailable");
    }
    objects.put(key, body);
    metadata.put(key, new HashMap<>(meta));
  }

  @Override
  public byte[] get(String uri, long maxBytes) {
    reads.add(uri);
    ObjectKeys.Location at;
    try {
      at = ObjectKeys.parse(uri);
    } catch (IllegalArgumentException e) {
      throw new ObjectMissingException(e.getMessage());
    }
    byte[] b = at.bucket().equals(bucket) ? objects.get(at.key()) : null;
    if (b == null) {
      throw new ObjectMissingException("no object at " + uri);
    }
    if (b.length > maxBytes) {
      throw new ObjectTooLargeException("expected at most " + maxBytes + " bytes at " + uri + ", found " + b.length);
    }
    return b.clone();
  }

  @Override
  public List<String> list(String prefix) {
    return objects.keySet().stream().filter(k -> k.startsWith(prefix)).sorted().toList();
  }

  @Override
  public void delete(String key) {
    objects.remove(key);
    metadata.remove(key);
  }

  @Override
  public String uri(String key) {
    return ObjectKeys.uri(bucket, key);
  }

  /** Only the failures asked for through {@link #failures} are retryable. */
  @Override
  public boolean isRetryable(Throwable error) {
    return error instanceof Unavailable;
  }

  /** The object at {@code key} as UTF-8 text, or null when there is none. */
  public String text(String key) {
    byte[] b = objects.get(key);
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  /** The error of a write asked to fail. */
  public static final class Unavailable extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Unavailable(String message) {
      super(message);
    }
  }
}
