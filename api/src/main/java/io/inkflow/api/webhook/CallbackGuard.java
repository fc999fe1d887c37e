package io.inkflow.api.webhook;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which callback URLs the API will call (a guard against server-side request forgery). A URL must be
 * http(s) with a host, no user info, on the host allow-list when one is configured, and every address the
 * host resolves to must be public: link-local (169.254/16, fe80::/10, where cloud metadata services live),
 * the metadata names and addresses, wildcard and multicast addresses are always refused; loopback and
 * private addresses (10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10) only when explicitly allowed.
 * Checked when a callback is registered and again before each attempt, since DNS answers may change.
 */
public final class CallbackGuard {
  private static final Set<String> METADATA_NAMES = Set.of("metadata.google.internal", "metadata", "metadata.azure.com",
      "instance-data", "instance-data.ec2.internal");

  /** Resolves a host to its addresses; injectable so tests can make a name resolve anywhere. */
  public interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  private final List<String> allowedHosts;
  private final boolean allowPrivate;
  private final Resolver resolver;

  /**
   * @param allowedHosts exact host names, or {@code *.domain} suffixes; empty: any host that passes the address checks
   * @param allowPrivate whether loopback and private addresses may be called (tests, on-premises receivers)
   */
  public CallbackGuard(List<String> allowedHosts, boolean allowPrivate, Resolver resolver) {
    this.allowedHosts = allowedHosts.stream().map(h -> h.strip().toLowerCase(Locale.ROOT)).filter(h -> !h.isEmpty()).toList();
    this.allowPrivate = allowPrivate;
    this.resolver = resolver;
  }

  public CallbackGuard(List<String> allowedHosts, boolean allowPrivate) {
    this(allowedHosts, allowPrivate, InetAddress::getAllByName);
  }

  /**
   * Checks {@code url}; returns it parsed.
   *
   * @throws IllegalArgumentException saying why the URL is refused
   */
  public URI check(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("callback URL is not a URI: " + e.getReason(), e);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http")) {
      throw new IllegalArgumentException("callback URL must be http or https, found '" + scheme + "'");
    }
    if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
      throw new IllegalArgumentException("callback URL must name a host and carry no user info or fragment");
    }
    String host = uri.getHost().toLowerCase(Locale.ROOT);
    String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    if (METADATA_NAMES.contains(bare)) {
      throw new IllegalArgumentException("callback host " + bare + " is a cloud metadata service");
    }
    if (!allowedHosts.isEmpty() && allowedHosts.stream().noneMatch(a -> matches(a, bare))) {
      throw new IllegalArgumentException("callback host " + bare + " is not on the allow-list");
    }
    InetAddress[] addresses;
    try {
      addresses = resolver.resolve(bare);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("callback host " + bare + " does not resolve");
    }
    for (InetAddress a : addresses) {
      String why = refused(a);
      if (why != null) {
        throw new IllegalArgumentException("callback host " + bare + " resolves to " + a.getHostAddress() + ", " + why);
      }
    }
    return uri;
  }

  private static boolean matches(String allowed, String host) {
    return allowed.startsWith("*.") ? host.endsWith(allowed.substring(1)) : allowed.equals(host);
  }

  private String refused(InetAddress a) {
    byte[] b = a.getAddress();
    if (a.isLinkLocalAddress() || (b.length == 4 && (b[0] & 0xff) == 169 && (b[1] & 0xff) == 254)) {
      return "a link-local address (where cloud metadata services answer)";
    }
    if (b.length == 16 && isEc2Ipv6Metadata(b)) {
      return "a cloud metadata address";
    }
    if (a.isAnyLocalAddress() || a.isMulticastAddress()) {
      return "a wildcard or multicast address";
    }
    boolean privateOrLoopback = a.isLoopbackAddress() || a.isSiteLocalAddress()
        || (b.length == 4 && (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64)
        || (b.length == 4 && (b[0] & 0xff) == 0)
        || (a instanceof Inet6Address && (b[0] & 0xfe) == 0xfc);
    if (privateOrLoopback && !allowPrivate) {
      return "a loopback or private address (allowed only with INKFLOW_API_WEBHOOK_ALLOW_PRIVATE=true)";
    }
    return null;
  }

  /** fd00:ec2::254, the EC2 IPv6 metadata endpoint. */
  private static boolean isEc2Ipv6Metadata(byte[] b) {
    byte[] md = {(byte) 0xfd, 0, 0x0e, (byte) 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54};
    return Arrays.equals(b, md);
  }
}
