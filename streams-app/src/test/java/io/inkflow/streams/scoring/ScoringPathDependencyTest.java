package io.inkflow.streams.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.inference.reward.RewardModel;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The scoring path never reaches the rule-based checker that labels the verdict study's images.
 *
 * <p>The checker ({@code synthetic_data.check}) is Python; the only Java code that handles its labels
 * is the study's driver in the bench module ({@code io.inkflow.bench.verdict}). So a verdict could lean
 * on the checker only by referencing a bench class, by starting a process (a Python interpreter), by
 * a script engine, or by naming the checker's files. This test walks the compiled classes reachable
 * from the scoring stream and the reward model (every {@code io.inkflow} class whose name appears in
 * a reachable class's constant pool, descriptors included) and checks each constant pool for those.
 * The walk is checked to reach the ONNX heads, and the scan to catch a class that starts a process.
 */
class ScoringPathDependencyTest {
  private static final List<Class<?>> ROOTS = List.of(ScoringApp.class, ScoringTopology.class, ScoringProcessor.class,
      ImageScorer.class, RewardPolicy.class, RewardModel.class);
  private static final Pattern INKFLOW_CLASS = Pattern.compile("io/inkflow/[A-Za-z0-9_/$]+");
  private static final List<String> FORBIDDEN_CLASSES = List.of("io/inkflow/bench/", "java/lang/ProcessBuilder",
      "java/lang/ProcessHandle", "javax/script/");
  /** The checker's module and function, the study's modules, an interpreter. */
  private static final List<String> FORBIDDEN_TEXT = List.of("synthetic_data", "attributes_right", "verdict_study",
      "verdict_eval", "python");

  @Test
  void scoringPathReferencesNoCheckerProcessOrBenchClass() throws IOException {
    Set<String> reached = reachable(ROOTS);
    assertThat(reached).as("the walk reaches the reward heads")
        .contains("io/inkflow/inference/reward/AlignmentHead", "io/inkflow/inference/reward/AestheticHead",
            "io/inkflow/inference/reward/TextRenderingHead", "io/inkflow/streams/scoring/RewardPolicy");
    List<String> found = new ArrayList<>();
    boolean usesOnnx = false;
    for (String name : reached) {
      ConstantPool pool = ConstantPool.of(name);
      found.addAll(violations(name, pool));
      usesOnnx |= pool.classes.contains("ai/onnxruntime/OrtSession");
    }
    assertThat(found).as("references from the scoring path").isEmpty();
    assertThat(usesOnnx).as("some class on the scoring path runs an ONNX Runtime session").isTrue();
  }

  @Test
  void scanFindsAClassThatStartsAProcess() throws IOException {
    String name = SpawnsPython.class.getName().replace('.', '/');
    assertThat(violations(name, ConstantPool.of(name))).anyMatch(v -> v.contains("java/lang/ProcessBuilder"))
        .anyMatch(v -> v.contains("python"));
  }

  /** A stand-in for what the scoring path must not do. */
  static final class SpawnsPython {
    static Process check() throws IOException {
      return new ProcessBuilder("python3", "synthetic_data.py").start();
    }
  }

  private static List<String> violations(String name, ConstantPool pool) {
    List<String> out = new ArrayList<>();
    for (String ref : pool.classes) {
      for (String bad : FORBIDDEN_CLASSES) {
        if (ref.startsWith(bad)) {
          out.add(name + " references " + ref);
        }
      }
    }
    for (String[] method : pool.methods) {
      if (method[0].equals("java/lang/Runtime") && method[1].equals("exec")) {
        out.add(name + " calls Runtime.exec");
      }
    }
    for (String text : pool.strings) {
      String lower = text.toLowerCase(Locale.ROOT);
      for (String bad : FORBIDDEN_TEXT) {
        if (lower.contains(bad)) {
          out.add(name + " has a string constant with \"" + bad + "\": " + text.substring(0, Math.min(80, text.length())));
        }
      }
    }
    return out;
  }

  private static Set<String> reachable(List<Class<?>> roots) throws IOException {
    Set<String> seen = new TreeSet<>();
    Deque<String> todo = new ArrayDeque<>();
    roots.forEach(c -> todo.add(c.getName().replace('.', '/')));
    while (!todo.isEmpty()) {
      String name = todo.poll();
      if (!seen.add(name)) {
        continue;
      }
      ConstantPool pool = ConstantPool.of(name);
      for (String utf8 : pool.utf8) {
        Matcher m = INKFLOW_CLASS.matcher(utf8);
        while (m.find()) {
          String ref = m.group();
          if (!seen.contains(ref) && ConstantPool.exists(ref)) {
            todo.add(ref);
          }
        }
      }
    }
    return seen;
  }

  /** The parts of a class file's constant pool this test reads (JVMS 4.4). */
  private static final class ConstantPool {
    final List<String> utf8 = new ArrayList<>();
    final Set<String> classes = new TreeSet<>();
    final List<String> strings = new ArrayList<>();
    final List<String[]> methods = new ArrayList<>();

    static boolean exists(String name) {
      return ScoringPathDependencyTest.class.getClassLoader().getResource(name + ".class") != null;
    }

    static ConstantPool of(String name) throws IOException {
      try (InputStream raw = ScoringPathDependencyTest.class.getClassLoader().getResourceAsStream(name + ".class")) {
        if (raw == null) {
          throw new IOException("expected " + name + ".class on the test classpath, found none");
        }
        return read(new DataInputStream(raw));
      }
    }

    private static ConstantPool read(DataInputStream in) throws IOException {
      if (in.readInt() != 0xCAFEBABE) {
        throw new IOException("expected a class file");
      }
      in.readUnsignedShort();
      in.readUnsignedShort();
      int count = in.readUnsignedShort();
      String[] text = new String[count];
      int[] tag = new int[count];
      int[] a = new int[count];
      int[] b = new int[count];
      for (int i = 1; i < count; i++) {
        tag[i] = in.readUnsignedByte();
        switch (tag[i]) {
          case 1 -> text[i] = in.readUTF();
          case 3, 4 -> in.readInt();
          case 5, 6 -> {
            in.readLong();
            i++;
          }
          case 7, 8, 16, 19, 20 -> a[i] = in.readUnsignedShort();
          case 9, 10, 11, 12, 17, 18 -> {
            a[i] = in.readUnsignedShort();
            b[i] = in.readUnsignedShort();
          }
          case 15 -> {
            in.readUnsignedByte();
            a[i] = in.readUnsignedShort();
          }
          default -> throw new IOException("unknown constant pool tag " + tag[i] + " at " + i);
        }
      }
      ConstantPool pool = new ConstantPool();
      for (int i = 1; i < count; i++) {
        switch (tag[i]) {
          case 1 -> pool.utf8.add(text[i]);
          case 7 -> pool.classes.add(text[a[i]].replaceAll("^\\[*L|;$", ""));
          case 8 -> pool.strings.add(text[a[i]]);
          case 10, 11 -> pool.methods.add(new String[] {text[a[a[i]]], text[a[b[i]]]});
          default -> { }
        }
      }
      return pool;
    }
  }
}
