package io.inkflow.inference.runtime;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.TensorInfo;
import io.inkflow.inference.pack.Dimension;
import io.inkflow.inference.pack.GraphSpec;
import io.inkflow.inference.pack.PackException;
import io.inkflow.inference.pack.Precision;
import io.inkflow.inference.pack.TensorSpec;
import io.inkflow.inference.pack.TensorType;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * One loaded ONNX graph: its session and the options it was created with, both owned and closed
 * together.
 *
 * <p>{@link #open} fails with a {@link PackException} that says what was expected and what was
 * found when the file is missing or corrupt, when the manifest does not declare what the stage
 * needs, or when the graph's inputs and outputs differ from the manifest in name, element type,
 * rank or a fixed dimension.
 */
public final class GraphSession implements AutoCloseable {
  private static final AtomicInteger LIVE = new AtomicInteger();

  private final String label;
  private final GraphSpec spec;
  private final OrtEnvironment env;
  private final OrtSession session;
  private final SessionOptions options;
  private final ExecutionProvider provider;
  private boolean closed;

  private GraphSession(String label, GraphSpec spec, OrtEnvironment env,
      SessionFactory.OpenedSession opened) {
    this.label = label;
    this.spec = spec;
    this.env = env;
    this.session = opened.session();
    this.options = opened.options();
    this.provider = opened.provider();
    LIVE.incrementAndGet();
  }

  /**
   * Loads and checks a graph.
   *
   * @param factory creates the session
   * @param packId names the pack in messages
   * @param packDir the pack folder
   * @param spec the graph as the manifest declares it
   * @param contract what the calling stage needs from it
   * @param precision the pack's float precision
   */
  public static GraphSession open(SessionFactory factory, String packId, Path packDir, GraphSpec spec,
      GraphContract contract, Precision precision) {
    String label = packId + "/" + spec.key();
    checkContract(label, spec, contract, precision);
    Path file = packDir.resolve(spec.file());
    if (!Files.isRegularFile(file)) {
      throw new PackException(label + ": graph file not found: " + file);
    }
    if (spec.sha256() != null) {
      String actual = sha256(file);
      if (!actual.equals(spec.sha256())) {
        throw new PackException(label + ": " + spec.file() + " sha256 expected " + spec.sha256()
            + ", found " + actual + " (file corrupt or replaced)");
      }
    }
    SessionFactory.OpenedSession opened;
    try {
      opened = factory.open(label, file);
    } catch (OrtException e) {
      throw new PackException(label + ": cannot load ONNX graph " + file + ": " + e.getMessage(), e);
    }
    GraphSession graph = new GraphSession(label, spec, factory.environment(), opened);
    try {
      graph.checkAgainstManifest();
      return graph;
    } catch (OrtException | RuntimeException e) {
      graph.close();
      if (e instanceof PackException) {
        throw (PackException) e;
      }
      throw new PackException(label + ": cannot inspect ONNX graph " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Loads a graph that comes without a manifest (a component of a diffusers export): its inputs and
   * outputs are read from the session, and the calling stage checks what it needs with
   * {@link #requireInput} and {@link #requireOutput}.
   *
   * @param label names the graph in messages, e.g. {@code sd-1a2b3c4d5e6f/unet}
   * @param file the {@code model.onnx} (external-data weights beside it are found by ONNX Runtime)
   */
  public static GraphSession openDiscovered(SessionFactory factory, String label, Path file) {
    if (!Files.isRegularFile(file)) {
      throw new PackException(label + ": graph file not found: " + file);
    }
    SessionFactory.OpenedSession opened;
    try {
      opened = factory.open(label, file);
    } catch (OrtException e) {
      throw new PackException(label + ": cannot load ONNX graph " + file + ": " + e.getMessage(), e);
    }
    GraphSpec spec;
    try {
      spec = new GraphSpec(label, file.getFileName().toString(), null, describe(opened.session().getInputInfo()),
          describe(opened.session().getOutputInfo()));
    } catch (OrtException | RuntimeException e) {
      opened.options().close();
      try {
        opened.session().close();
      } catch (OrtException closing) {
        e.addSuppressed(closing);
      }
      throw new PackException(label + ": cannot inspect ONNX graph " + file + ": " + e.getMessage(), e);
    }
    return new GraphSession(label, spec, factory.environment(), opened);
  }

  private static List<TensorSpec> describe(Map<String, NodeInfo> infos) {
    List<TensorSpec> out = new ArrayList<>();
    for (Map.Entry<String, NodeInfo> e : infos.entrySet()) {
      if (!(e.getValue().getInfo() instanceof TensorInfo)) {
        throw new PackException("expected tensor '" + e.getKey() + "', found " + e.getValue().getInfo());
      }
      TensorInfo info = (TensorInfo) e.getValue().getInfo();
      TensorType type = fromOrt(info.type);
      if (type == null) {
        throw new PackException("tensor '" + e.getKey() + "' has element type " + info.type
            + "; expected float32, float16, int64, int32, uint8 or bool");
      }
      List<Dimension> dims = new ArrayList<>();
      String[] names = info.getDimensionNames();
      long[] shape = info.getShape();
      for (int i = 0; i < shape.length; i++) {
        dims.add(shape[i] >= 0 ? Dimension.fixed(shape[i])
            : Dimension.symbolic(names != null && i < names.length && !names[i].isEmpty() ? names[i] : "d" + i));
      }
      out.add(new TensorSpec(e.getKey(), type, dims));
    }
    return out;
  }

  /**
   * The input {@code name}, checked: one of {@code types}, of one of {@code ranks}.
   *
   * @throws PackException naming the graph, the input, what was expected and what was found
   */
  public TensorSpec requireInput(String name, Set<TensorType> types, Set<Integer> ranks) {
    return require("input", spec.input(name), spec.inputs(), name, types, ranks);
  }

  /** The output {@code name}, checked like {@link #requireInput}. */
  public TensorSpec requireOutput(String name, Set<TensorType> types, Set<Integer> ranks) {
    return require("output", spec.output(name), spec.outputs(), name, types, ranks);
  }

  private TensorSpec require(String what, Optional<TensorSpec> found, List<TensorSpec> all, String name,
      Set<TensorType> types, Set<Integer> ranks) {
    TensorSpec t = found.orElseThrow(() -> new PackException(label + ": expected " + what + " '" + name + "', found "
        + names(all) + " in " + spec.file()));
    if (!types.contains(t.type())) {
      throw new PackException(label + ": expected " + what + " '" + name + "' of type " + new TreeSet<>(types)
          + ", found " + t.type() + " in " + spec.file());
    }
    if (!ranks.contains(t.rank())) {
      throw new PackException(label + ": expected " + what + " '" + name + "' of rank " + new TreeSet<>(ranks)
          + ", found rank " + t.rank() + " (" + t + ") in " + spec.file());
    }
    return t;
  }

  private static void checkContract(String label, GraphSpec spec, GraphContract contract, Precision precision) {
    checkPorts(label, "input", spec.inputs(), contract.inputs(), precision);
    checkPorts(label, "output", spec.outputs(), contract.outputs(), precision);
  }

  private static void checkPorts(String label, String what, List<TensorSpec> declared,
      List<GraphContract.Port> required, Precision precision) {
    for (GraphContract.Port port : required) {
      TensorSpec t = declared.stream().filter(d -> d.name().equals(port.name())).findFirst()
          .orElseThrow(() -> new PackException(label + ": expected " + what + " '" + port.name()
              + "' in the manifest, found " + names(declared)));
      TensorType expected = port.kind() == GraphContract.Kind.FLOAT ? precision.floatType() : TensorType.INT64;
      if (t.type() != expected) {
        throw new PackException(label + ": expected " + what + " '" + port.name() + "' of type "
            + expected + " in the manifest, found " + t.type());
      }
      if (t.rank() != port.rank()) {
        throw new PackException(label + ": expected " + what + " '" + port.name() + "' of rank "
            + port.rank() + " in the manifest, found rank " + t.rank() + " (" + t + ")");
      }
    }
  }

  private void checkAgainstManifest() throws OrtException {
    checkInfos("input", spec.inputs(), session.getInputInfo());
    checkInfos("output", spec.outputs(), session.getOutputInfo());
  }

  private void checkInfos(String what, List<TensorSpec> declared, Map<String, NodeInfo> actual) {
    Set<String> expectedNames = declared.stream().map(TensorSpec::name).collect(Collectors.toCollection(TreeSet::new));
    Set<String> actualNames = new TreeSet<>(actual.keySet());
    if (!expectedNames.equals(actualNames)) {
      throw new PackException(label + ": expected " + what + "s " + expectedNames + " (manifest), found "
          + actualNames + " in " + spec.file());
    }
    for (TensorSpec t : declared) {
      NodeInfo node = actual.get(t.name());
      if (!(node.getInfo() instanceof TensorInfo)) {
        throw new PackException(label + ": expected " + what + " '" + t.name() + "' to be a tensor, found "
            + node.getInfo());
      }
      TensorInfo info = (TensorInfo) node.getInfo();
      TensorType type = fromOrt(info.type);
      if (type != t.type()) {
        throw new PackException(label + ": expected " + what + " '" + t.name() + "' of type " + t.type()
            + ", found " + (type == null ? info.type : type) + " in " + spec.file());
      }
      long[] shape = info.getShape();
      if (shape.length != t.rank()) {
        throw new PackException(label + ": expected " + what + " '" + t.name() + "' of rank " + t.rank()
            + ", found rank " + shape.length + " in " + spec.file());
      }
      for (int i = 0; i < shape.length; i++) {
        Dimension d = t.shape().get(i);
        boolean graphFixed = shape[i] >= 0;
        // A dimension the graph fixes must be declared with that size; a symbolic one may be
        // declared either way (the manifest may narrow it).
        if (graphFixed && (!d.isFixed() || d.size() != shape[i])) {
          throw new PackException(label + ": expected dimension " + i + " of " + what + " '" + t.name()
              + "' to be " + d + ", found " + shape[i] + " in " + spec.file());
        }
      }
    }
  }

  /** Maps an ONNX Runtime element type to the manifest's, or null when packs never use it. */
  static TensorType fromOrt(OnnxJavaType type) {
    switch (type) {
      case FLOAT: return TensorType.FLOAT32;
      case FLOAT16: return TensorType.FLOAT16;
      case INT64: return TensorType.INT64;
      case INT32: return TensorType.INT32;
      case UINT8: return TensorType.UINT8;
      case BOOL: return TensorType.BOOL;
      default: return null;
    }
  }

  private static String names(List<TensorSpec> specs) {
    return specs.stream().map(TensorSpec::name).collect(Collectors.toList()).toString();
  }

  private static String sha256(Path file) {
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Runs the graph; the caller closes the result. */
  public OrtSession.Result run(Map<String, ? extends OnnxTensorLike> inputs) throws OrtException {
    return session.run(inputs);
  }

  /** Runs the graph computing only the {@code requested} outputs; the caller closes the result. */
  public OrtSession.Result run(Map<String, ? extends OnnxTensorLike> inputs, Set<String> requested) throws OrtException {
    return session.run(inputs, requested);
  }

  /**
   * Runs the graph writing into caller-owned output tensors (created once, reused across calls);
   * closing the result does not close them.
   */
  public OrtSession.Result run(Map<String, ? extends OnnxTensorLike> inputs,
      Map<String, ? extends OnnxValue> pinnedOutputs) throws OrtException {
    return session.run(inputs, pinnedOutputs);
  }

  /** e.g. {@code tiny-mmdit-flow/transformer}. */
  public String label() {
    return label;
  }

  public GraphSpec spec() {
    return spec;
  }

  public OrtEnvironment environment() {
    return env;
  }

  /** The provider this session runs on. */
  public ExecutionProvider provider() {
    return provider;
  }

  /** Sessions opened and not yet closed in this process: a leak check for tests and metrics. */
  public static int liveSessions() {
    return LIVE.get();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    LIVE.decrementAndGet();
    List<Exception> failures = new ArrayList<>();
    try {
      session.close();
    } catch (OrtException e) {
      failures.add(e);
    }
    options.close();
    if (!failures.isEmpty()) {
      throw new IllegalStateException(label + ": closing the session failed", failures.get(0));
    }
  }
}
