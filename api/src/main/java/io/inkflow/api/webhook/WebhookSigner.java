package io.inkflow.api.webhook;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Stripe-style webhook signatures: {@code Inkflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
 * "<t>.<body>")>}. A receiver recomputes the HMAC over the timestamp and the raw body, compares in constant
 * time, rejects a timestamp more than {@link #TOLERANCE} away from its clock (replays) and dedupes on the
 * event id. {@link #verify} is that receiver's check.
 */
public final class WebhookSigner {
  public static final String HEADER = "Inkflow-Signature";
  /** Largest clock skew a receiver accepts. */
  public static final Duration TOLERANCE = Duration.ofMinutes(5);

  private final byte[] secret;

  public WebhookSigner(byte[] secret) {
    if (secret == null || secret.length < 16) {
      throw new IllegalArgumentException("the webhook signing secret must be at least 16 bytes");
    }
    this.secret = secret.clone();
  }

  /** The header value for {@code body} sent at {@code at}. */
  public String sign(byte[] body, Instant at) {
    long t = at.getEpochSecond();
    return "t=" + t + ",v1=" + HexFormat.of().formatHex(hmac(secret, t, body));
  }

  /**
   * A receiver's check of {@code header} against {@code body} at {@code now}.
   *
   * @throws IllegalArgumentException saying why the signature is refused
   */
  public static void verify(byte[] secret, String header, byte[] body, Instant now) {
    if (header == null) {
      throw new IllegalArgumentException("no " + HEADER + " header");
    }
    Long t = null;
    byte[] v1 = null;
    for (String part : header.split(",")) {
      String p = part.strip();
      if (p.startsWith("t=")) {
        try {
          t = Long.parseLong(p.substring(2));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("timestamp '" + p.substring(2) + "' is not a number", e);
        }
      } else if (p.startsWith("v1=") && p.length() == 3 + 64) {
        v1 = HexFormat.of().parseHex(p.substring(3));
      }
    }
    if (t == null || v1 == null) {
      throw new IllegalArgumentException("expected t=<seconds>,v1=<64 hex digits>");
    }
    if (Math.abs(now.getEpochSecond() - t) > TOLERANCE.toSeconds()) {
      throw new IllegalArgumentException("timestamp " + t + " is more than " + TOLERANCE.toMinutes() + " minutes from now (" + now.getEpochSecond() + ")");
    }
    if (!MessageDigest.isEqual(v1, hmac(secret, t, body))) {
      throw new IllegalArgumentException("the signature does not match the body");
    }
  }

  private static byte[] hmac(byte[] secret, long t, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      mac.update((t + ".").getBytes(StandardCharsets.US_ASCII));
      return mac.doFinal(body);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
