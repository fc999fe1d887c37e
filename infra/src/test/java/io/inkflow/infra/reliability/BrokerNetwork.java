package io.inkflow.infra.reliability;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private network for a cluster whose nodes each run in a network namespace of their own: a bridge
 * in the root namespace holding the first address of a /24, and per node a namespace joined to the
 * bridge by a veth pair, node {@code n} at {@code <subnet>.(10 + n)}. Processes in the root namespace
 * (the test, the services) reach every node over the bridge. Cutting a node off takes the bridge end
 * of its veth pair down: nothing passes either way, and no connection is reset, until it is restored.
 *
 * <p>Needs root and iproute2's {@code ip}. Namespaces and links carry fixed names, so a run removes
 * what an earlier run that was killed left behind ({@link #removeStale}), processes in those
 * namespaces included.
 */
final class BrokerNetwork implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BrokerNetwork.class);
  private static final String NAMESPACE = "inkflow-k";
  private static final String BRIDGE = "inkflow-br";
  private static final String VETH = "inkflow-v";
  private static final String PROBE = "inkflow-probe";

  private final String subnet;
  private final int nodes;

  private BrokerNetwork(String subnet, int nodes) {
    this.subnet = subnet;
    this.nodes = nodes;
  }

  /** Empty when namespaces can be made here; otherwise why not (not root, no {@code ip}, not permitted). */
  static Optional<String> unavailable() {
    try {
      Result version = run(List.of("ip", "-V"));
      if (version.exit != 0) {
        return Optional.of("iproute2's ip does not run: " + version.output);
      }
    } catch (IOException e) {
      return Optional.of("iproute2's ip is not installed: " + e.getMessage());
    }
    try {
      run(List.of("ip", "netns", "delete", PROBE));
      Result add = run(List.of("ip", "netns", "add", PROBE));
      run(List.of("ip", "netns", "delete", PROBE));
      if (add.exit != 0) {
        return Optional.of("cannot create a network namespace (needs root): " + add.output.trim());
      }
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of("cannot run ip: " + e.getMessage());
    }
  }

  /**
   * Removes what an earlier run left, then makes the bridge and {@code nodes} namespaces on
   * {@code subnet} (three octets, e.g. {@code 10.213.61}); on failure removes what it made.
   */
  static BrokerNetwork create(String subnet, int nodes) throws IOException {
    removeStale(nodes);
    BrokerNetwork net = new BrokerNetwork(subnet, nodes);
    try {
      String inUse = ip("-o", "-4", "addr", "show");
      if (inUse.contains(" " + subnet + ".")) {
        throw new IllegalStateException("subnet " + subnet + ".0/24 is already in use here; choose another with -Dinkflow.faults.subnet:\n"
            + inUse);
      }
      ip("link", "add", BRIDGE, "type", "bridge");
      ip("addr", "add", subnet + ".1/24", "dev", BRIDGE);
      ip("link", "set", BRIDGE, "up");
      for (int n = 1; n <= nodes; n++) {
        String ns = namespace(n);
        ip("netns", "add", ns);
        ip("link", "add", VETH + n, "type", "veth", "peer", "name", "eth0", "netns", ns);
        ip("link", "set", VETH + n, "master", BRIDGE);
        ip("link", "set", VETH + n, "up");
        ip("-n", ns, "addr", "add", net.address(n) + "/24", "dev", "eth0");
        ip("-n", ns, "link", "set", "eth0", "up");
        ip("-n", ns, "link", "set", "lo", "up");
      }
    } catch (IOException | RuntimeException e) {
      net.close();
      throw e;
    }
    LOG.info("network {}.0/24: bridge {}, {} namespaces", subnet, BRIDGE, nodes);
    return net;
  }

  static String namespace(int node) {
    return NAMESPACE + node;
  }

  String address(int node) {
    return subnet + "." + (10 + node);
  }

  /** {@code command} run inside node {@code node}'s namespace; {@code ip netns exec} replaces itself with it. */
  List<String> inside(int node, List<String> command) {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", namespace(node)));
    cmd.addAll(command);
    return cmd;
  }

  /** Takes node {@code node}'s link to the bridge down: the node can reach nothing and nothing reaches it. */
  void cut(int node) throws IOException {
    ip("link", "set", VETH + node, "down");
  }

  /** Brings node {@code node}'s link up again. */
  void restore(int node) throws IOException {
    ip("link", "set", VETH + node, "up");
  }

  /** Whether a TCP connection to {@code port} on node {@code node} opens within {@code timeoutMs}. */
  boolean reachable(int node, int port, int timeoutMs) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address(node), port), timeoutMs);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Removes the namespaces (SIGKILL to whatever still runs in them), the veth pairs and the bridge. */
  @Override
  public void close() {
    removeStale(nodes);
  }

  /**
   * Removes this class's namespaces 1..{@code nodes} with any process still in them (a broker of a run
   * that was killed), their links and the bridge. Names that do not exist are skipped.
   */
  static void removeStale(int nodes) {
    try {
      for (int n = 1; n <= nodes; n++) {
        String ns = namespace(n);
        Result pids = run(List.of("ip", "netns", "pids", ns));
        if (pids.exit == 0) {
          for (String pid : pids.output.trim().split("\\s+")) {
            if (!pid.isEmpty()) {
              LOG.warn("killing process {} left in namespace {}", pid, ns);
              ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
            }
          }
        }
        run(List.of("ip", "netns", "delete", ns));
        run(List.of("ip", "link", "delete", VETH + n));
      }
      run(List.of("ip", "link", "delete", BRIDGE));
    } catch (IOException e) {
      LOG.warn("could not remove the test network: {}", e.toString());
    }
  }

  private static String ip(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("ip"));
    cmd.addAll(List.of(args));
    Result r = run(cmd);
    if (r.exit != 0) {
      throw new IOException(String.join(" ", cmd) + " failed with exit " + r.exit + ": " + r.output.trim());
    }
    return r.output;
  }

  private record Result(int exit, String output) {}

  private static Result run(List<String> cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + " did not finish within 30 s");
      }
      return new Result(p.exitValue(), out);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted running " + String.join(" ", cmd), e);
    }
  }
}
