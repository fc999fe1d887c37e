package io.inkflow.api.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The API's bearer tokens, stored hashed: the service keeps only {@code HMAC-SHA256(pepper, token)} (or
 * SHA-256 of the token when no pepper is set), so neither the token file nor a memory dump gives a usable
 * token. A presented token is hashed and compared with every stored hash in constant time.
 *
 * <p>File format, one token per line, {@code #} comments: {@code name roles hash [requests-per-minute]}, where
 * roles is a comma-separated list ({@code viewer,submitter}) and hash is 64 hex digits; make one with
 * {@link #hash(String, byte[])} ({@code scripts/api --hash-token}).
 */
public final class ApiTokens {
  private record Stored(byte[] hash, Principal principal) {}

  private final List<Stored> tokens;
  private final byte[] pepper;

  private ApiTokens(List<Stored> tokens, byte[] pepper) {
    this.tokens = List.copyOf(tokens);
    this.pepper = pepper == null ? null : pepper.clone();
  }

  /** Reads a token file; every problem names its line. */
  public static ApiTokens read(Path file, byte[] pepper) throws IOException {
    return parse(Files.readAllLines(file, StandardCharsets.UTF_8), pepper, file.toString());
  }

  /** Parses token lines ({@code source} names them in messages). */
  public static ApiTokens parse(List<String> lines, byte[] pepper, String source) {
    List<Stored> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String where = source + " line " + (i + 1);
      String[] parts = line.split("\\s+");
      if (parts.length < 3 || parts.length > 4) {
        throw new IllegalArgumentException(where + ": expected 'name roles hash [requests-per-minute]', found " + parts.length + " fields");
      }
      if (!parts[2].matches("[0-9a-fA-F]{64}")) {
        throw new IllegalArgumentException(where + ": the hash must be 64 hex digits (HMAC-SHA256 or SHA-256 of the token)");
      }
      Set<Role> roles = new HashSet<>();
      for (String r : parts[1].split(",")) {
        roles.add(Role.parse(r));
      }
      int rate;
      try {
        rate = parts.length == 4 ? Integer.parseInt(parts[3]) : 0;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(where + ": requests-per-minute '" + parts[3] + "' is not an integer", e);
      }
      Principal p;
      try {
        p = new Principal(parts[0], roles, rate);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
      }
      if (!names.add(p.name())) {
        throw new IllegalArgumentException(where + ": token name " + p.name() + " appears twice");
      }
      out.add(new Stored(HexFormat.of().parseHex(parts[2].toLowerCase(Locale.ROOT)), p));
    }
    return new ApiTokens(out, pepper);
  }

  /** How many tokens are configured. */
  public int size() {
    return tokens.size();
  }

  /** The principal whose stored hash matches {@code token}, compared in constant time against every entry. */
  public Optional<Principal> authenticate(String token) {
    if (token == null || token.isEmpty() || token.length() > 512) {
      return Optional.empty();
    }
    byte[] presented = hash(token, pepper);
    Principal found = null;
    for (Stored s : tokens) {
      // No early exit: every entry is compared, so timing says nothing about which one matched.
      if (MessageDigest.isEqual(s.hash(), presented) && found == null) {
        found = s.principal();
      }
    }
    Arrays.fill(presented, (byte) 0);
    return Optional.ofNullable(found);
  }

  /** The stored form of {@code token}: HMAC-SHA256 keyed by {@code pepper}, or SHA-256 when there is none. */
  public static byte[] hash(String token, byte[] pepper) {
    byte[] bytes = token.getBytes(StandardCharsets.UTF_8);
    try {
      if (pepper == null || pepper.length == 0) {
        return MessageDigest.getInstance("SHA-256").digest(bytes);
      }
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(pepper, "HmacSHA256"));
      return mac.doFinal(bytes);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256/SHA-256 unavailable", e);
    }
  }

  /** {@link #hash} as hex, for the token file. */
  public static String hashHex(String token, byte[] pepper) {
    return HexFormat.of().formatHex(hash(token, pepper));
  }
}
