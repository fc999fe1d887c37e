package io.inkflow.infra.submit;

import io.inkflow.storage.ObjectKeys;
import io.inkflow.storage.S3Clients;
import io.inkflow.storage.S3Settings;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * {@code submit get s3://bucket/key [-o FILE]}: copies one object — an image, a manifest, a dataset
 * file, as results and manifests name them — out of S3 into a file, with the S3 settings the services
 * read ({@code INKFLOW_S3_*}, {@code AWS_*}; what {@code scripts/local-up} prints).
 */
@Command(name = "get", mixinStandardHelpOptions = true, description = "Download one S3 object, e.g. an image a worker wrote.")
final class GetCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "s3://BUCKET/KEY", description = "the object, as request results and manifests name it")
  String uri;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "where to write it (default: the key's file name in the current directory)")
  Path output;

  private final PrintStream out;
  private final PrintStream err;
  private final Map<String, String> env;

  GetCommand(PrintStream out, PrintStream err, Map<String, String> env) {
    this.out = out;
    this.err = err;
    this.env = env;
  }

  @Override
  public Integer call() {
    ObjectKeys.Location where;
    S3Settings settings;
    try {
      where = ObjectKeys.parse(uri);
      settings = S3Settings.fromEnv(env);
    } catch (IllegalArgumentException e) {
      err.println(e.getMessage());
      return 2;
    }
    Path file = output != null ? output : defaultFile(where.key());
    if (file == null) {
      err.println("the key '" + where.key() + "' has no file name to write to; give one with -o FILE");
      return 2;
    }
    Path partial = null;
    try (S3Client s3 = S3Clients.create(settings);
         InputStream body = s3.getObject(b -> b.bucket(where.bucket()).key(where.key()))) {
      // Into a temporary file beside the target first, so a failed download leaves no partial file behind.
      partial = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName(), ".partial");
      long bytes = Files.copy(body, partial, StandardCopyOption.REPLACE_EXISTING);
      Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING);
      out.printf("wrote %s to %s (%d bytes)%n", uri, file, bytes);
      return 0;
    } catch (NoSuchKeyException e) {
      err.printf("no object %s: bucket '%s' has no key '%s'%n", uri, where.bucket(), where.key());
    } catch (NoSuchBucketException e) {
      err.printf("no object %s: there is no bucket '%s'%n", uri, where.bucket());
    } catch (S3Exception e) {
      err.printf("could not get %s: S3 answered %d %s%n", uri, e.statusCode(),
          e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorCode() + ": " + e.awsErrorDetails().errorMessage());
    } catch (SdkException e) {
      err.printf("could not get %s from %s: %s%n", uri, endpoint(), e.getMessage());
    } catch (IOException e) {
      err.printf("could not write %s to %s: %s%n", uri, file, e);
    } finally {
      deleteQuietly(partial);
    }
    return 1;
  }

  /** The last segment of {@code key}, or null when it has none a file could take ({@code a/}, {@code ..}). */
  static Path defaultFile(String key) {
    String name = key.substring(key.lastIndexOf('/') + 1);
    return name.isEmpty() || name.equals(".") || name.equals("..") ? null : Path.of(name);
  }

  private static void deleteQuietly(Path p) {
    try {
      if (p != null) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // Nothing to add to the failure already reported; a stray .partial file is harmless.
    }
  }

  private String endpoint() {
    String e = env.get("INKFLOW_S3_ENDPOINT");
    return e == null || e.isBlank() ? "AWS S3" : e;
  }
}
