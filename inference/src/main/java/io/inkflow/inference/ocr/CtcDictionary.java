package io.inkflow.inference.ocr;

import io.inkflow.inference.pack.PackException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The recogniser's classes as PaddleOCR's {@code CTCLabelDecode} builds them: the blank first, then one
 * class per dictionary line, then a space ({@code use_space_char}). Greedy decoding takes the most
 * likely class at each step, merges repeats, drops blanks, and scores the line by the mean probability
 * of the characters it kept.
 */
final class CtcDictionary {
  private final String[] classes;

  private CtcDictionary(String[] classes) {
    this.classes = classes;
  }

  static CtcDictionary read(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new PackException("cannot read OCR dictionary " + file + ": " + e.getMessage(), e);
    }
    List<String> classes = new ArrayList<>(lines.size() + 2);
    classes.add("");
    for (String line : lines) {
      classes.add(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
    }
    classes.add(" ");
    return new CtcDictionary(classes.toArray(String[]::new));
  }

  /** Blank, the dictionary's entries, space. */
  int classes() {
    return classes.length;
  }

  /** A decoded line: its text and the mean probability of its characters (0 when it has none). */
  record Decoded(String text, double confidence) {}

  /** Greedy CTC decoding of probabilities [steps, classes] starting at {@code offset}. */
  Decoded decode(float[] probs, int offset, int steps) {
    int n = classes.length;
    StringBuilder text = new StringBuilder();
    double sum = 0;
    int kept = 0;
    int previous = -1;
    for (int t = 0; t < steps; t++) {
      int base = offset + t * n;
      int best = 0;
      for (int k = 1; k < n; k++) {
        if (probs[base + k] > probs[base + best]) {
          best = k;
        }
      }
      if (best != 0 && best != previous) {
        text.append(classes[best]);
        sum += probs[base + best];
        kept++;
      }
      previous = best;
    }
    return new Decoded(text.toString(), kept == 0 ? 0 : sum / kept);
  }
}
