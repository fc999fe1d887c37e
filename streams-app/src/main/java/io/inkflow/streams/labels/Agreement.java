package io.inkflow.streams.labels;

import io.inkflow.avro.HumanPreference;
import io.inkflow.avro.PreferenceChoice;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * How far people agree with the reward model and with each other on pairwise judgements, per batch.
 *
 * <p>Three categories: image 0 preferred, image 1 preferred, tie. A person's category is their choice;
 * skips (and choices this version does not know) carry no judgement and are left out. The model's
 * category is the image with the higher overall score, a tie when the scores are equal; a judgement whose
 * pair lacks a finite score for either image is left out of the model comparison. Agreement between
 * annotators is Cohen's {@link Kappa} over the pairs both judged; ties are a category of their own, so a
 * tie against a preference is a disagreement.
 *
 * <p>Judgements are taken as {@link #current}: one per label id, and an annotator's latest answer on a
 * pair when they answered it more than once. Pure functions.
 */
public final class Agreement {
  /** What a rater said about a pair. */
  public enum Category { IMAGE_0, IMAGE_1, TIE }

  private Agreement() {}

  /**
   * People against the reward model.
   *
   * @param n judgements compared (non-skip, both images scored)
   * @param agreed judgements in which the person chose what the model's scores say
   * @param kappa Cohen's kappa, model as one rater and people as the other
   */
  public record ModelVsPeople(long n, long agreed, Kappa kappa) {
    /** The share of judgements that agree with the model; NaN when {@code n = 0}. */
    public double rate() {
      return n == 0 ? Double.NaN : (double) agreed / n;
    }
  }

  /**
   * Two annotators over the pairs both judged.
   *
   * @param annotatorA the one whose name sorts first
   * @param annotatorB the other
   * @param kappa their kappa; {@code kappa.n()} is the number of pairs both judged
   */
  public record AnnotatorPair(String annotatorA, String annotatorB, Kappa kappa) {}

  /**
   * Annotators against each other.
   *
   * @param pooled kappa over every overlapping pair and every two annotators who judged it (one item per
   *     pair of annotators, the one whose name sorts first as rater A)
   * @param pairs kappa per two annotators, most shared pairs first
   */
  public record BetweenAnnotators(Kappa pooled, List<AnnotatorPair> pairs) {}

  /**
   * One batch's figures.
   *
   * @param batchId the batch, or null for requests without one
   * @param judgements current judgements, skips included
   * @param skips of those, skips
   * @param model people against the model
   * @param annotators annotators against each other
   */
  public record BatchAgreement(String batchId, long judgements, long skips, ModelVsPeople model, BetweenAnnotators annotators) {}

  /**
   * The judgements that count: duplicates by label id dropped (the first kept), and of one annotator's
   * answers on one pair only the latest by time (the later in input order when times are equal).
   */
  public static List<HumanPreference> current(Collection<HumanPreference> judgements) {
    Set<String> labelIds = new HashSet<>();
    Map<List<String>, HumanPreference> latest = new LinkedHashMap<>();
    for (HumanPreference j : judgements) {
      if (!labelIds.add(j.getLabelId())) {
        continue;
      }
      latest.merge(List.of(j.getPairId(), j.getAnnotator()), j,
          (old, now) -> now.getLabelledAt().isBefore(old.getLabelledAt()) ? old : now);
    }
    return List.copyOf(latest.values());
  }

  /** A person's category, or empty for a skip or an unknown choice. */
  public static Optional<Category> person(PreferenceChoice choice) {
    if (choice == null) {
      return Optional.empty();
    }
    return switch (choice) {
      case IMAGE_0 -> Optional.of(Category.IMAGE_0);
      case IMAGE_1 -> Optional.of(Category.IMAGE_1);
      case TIE -> Optional.of(Category.TIE);
      default -> Optional.empty();
    };
  }

  /** The model's category from the two overall scores, or empty when either is missing or not finite. */
  public static Optional<Category> model(Double score0, Double score1) {
    if (score0 == null || score1 == null || !Double.isFinite(score0) || !Double.isFinite(score1)) {
      return Optional.empty();
    }
    int c = Double.compare(score0, score1);
    return Optional.of(c > 0 ? Category.IMAGE_0 : c < 0 ? Category.IMAGE_1 : Category.TIE);
  }

  /** People against the model over the {@link #current} judgements. */
  public static ModelVsPeople modelVsPeople(Collection<HumanPreference> judgements) {
    long[][] table = new long[3][3];
    long n = 0;
    long agreed = 0;
    for (HumanPreference j : current(judgements)) {
      Optional<Category> person = person(j.getChoice());
      Optional<Category> model = model(j.getImage0Score(), j.getImage1Score());
      if (person.isEmpty() || model.isEmpty()) {
        continue;
      }
      table[model.get().ordinal()][person.get().ordinal()]++;
      n++;
      agreed += model.get() == person.get() ? 1 : 0;
    }
    return new ModelVsPeople(n, agreed, Kappa.cohen(table));
  }

  /** Annotators against each other over the pairs two or more of them judged, from the {@link #current} judgements. */
  public static BetweenAnnotators betweenAnnotators(Collection<HumanPreference> judgements) {
    Map<String, Map<String, Category>> byPair = new LinkedHashMap<>();
    for (HumanPreference j : current(judgements)) {
      person(j.getChoice()).ifPresent(c -> byPair.computeIfAbsent(j.getPairId(), p -> new TreeMap<>()).put(j.getAnnotator(), c));
    }
    long[][] pooled = new long[3][3];
    Map<List<String>, long[][]> tables = new LinkedHashMap<>();
    for (Map<String, Category> answers : byPair.values()) {
      List<Map.Entry<String, Category>> list = new ArrayList<>(answers.entrySet());
      for (int a = 0; a < list.size(); a++) {
        for (int b = a + 1; b < list.size(); b++) {
          int ca = list.get(a).getValue().ordinal();
          int cb = list.get(b).getValue().ordinal();
          pooled[ca][cb]++;
          tables.computeIfAbsent(List.of(list.get(a).getKey(), list.get(b).getKey()), k -> new long[3][3])[ca][cb]++;
        }
      }
    }
    List<AnnotatorPair> pairs = new ArrayList<>();
    tables.forEach((names, table) -> pairs.add(new AnnotatorPair(names.get(0), names.get(1), Kappa.cohen(table))));
    pairs.sort(Comparator.comparingLong((AnnotatorPair p) -> -p.kappa().n())
        .thenComparing(AnnotatorPair::annotatorA).thenComparing(AnnotatorPair::annotatorB));
    return new BetweenAnnotators(Kappa.cohen(pooled), List.copyOf(pairs));
  }

  /** Both comparisons per batch, batches in id order, requests without a batch last. */
  public static List<BatchAgreement> byBatch(Collection<HumanPreference> judgements) {
    Map<String, List<HumanPreference>> batches = new TreeMap<>(Comparator.nullsLast(Comparator.naturalOrder()));
    for (HumanPreference j : current(judgements)) {
      batches.computeIfAbsent(j.getBatchId(), b -> new ArrayList<>()).add(j);
    }
    List<BatchAgreement> out = new ArrayList<>();
    batches.forEach((batch, list) -> out.add(new BatchAgreement(batch, list.size(),
        list.stream().filter(j -> j.getChoice() == PreferenceChoice.SKIP).count(), modelVsPeople(list), betweenAnnotators(list))));
    return List.copyOf(out);
  }
}
