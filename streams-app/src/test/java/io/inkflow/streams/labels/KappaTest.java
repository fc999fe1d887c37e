package io.inkflow.streams.labels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Cohen's kappa on tables computed by hand. */
class KappaTest {

  @Test
  void twoCategoriesByHand() {
    // 50 items: both yes 20, A yes B no 5, A no B yes 10, both no 15.
    // po = 35/50 = 0.7; A: 25 yes / 25 no; B: 30 yes / 20 no; pe = 0.5*0.6 + 0.5*0.4 = 0.5; kappa = 0.2/0.5 = 0.4.
    Kappa k = Kappa.cohen(new long[][] {{20, 5}, {10, 15}});
    assertThat(k.n()).isEqualTo(50);
    assertThat(k.observed()).isCloseTo(0.7, within(1e-12));
    assertThat(k.expected()).isCloseTo(0.5, within(1e-12));
    assertThat(k.value()).isCloseTo(0.4, within(1e-12));
    assertThat(k.defined()).isTrue();
    assertThat(k.undefinedReason()).isNull();
    assertThat(k).hasToString("kappa 0.400 (n = 50)");
  }

  @Test
  void threeCategoriesWithTiesByHand() {
    // 25 items; diagonal 10 + 8 + 2 = 20, po = 0.8. Rows 12, 10, 3; columns 11, 11, 3.
    // pe = (12*11 + 10*11 + 3*3) / 625 = 251/625; kappa = (0.8 - 251/625) / (1 - 251/625) = 249/374.
    Kappa k = Kappa.cohen(new long[][] {{10, 2, 0}, {1, 8, 1}, {0, 1, 2}});
    assertThat(k.observed()).isCloseTo(0.8, within(1e-12));
    assertThat(k.expected()).isCloseTo(251.0 / 625, within(1e-12));
    assertThat(k.value()).isCloseTo(249.0 / 374, within(1e-12));
  }

  @Test
  void perfectAgreementIsOneAndSystematicDisagreementIsMinusOne() {
    assertThat(Kappa.cohen(new long[][] {{3, 0, 0}, {0, 4, 0}, {0, 0, 1}}).value()).isEqualTo(1.0);
    // po = 0, pe = 0.5*0.5 + 0.5*0.5 = 0.5: (0 - 0.5) / 0.5 = -1.
    assertThat(Kappa.cohen(new long[][] {{0, 5}, {5, 0}}).value()).isCloseTo(-1.0, within(1e-12));
  }

  @Test
  void agreementNoBetterThanChanceIsZero() {
    // Each rater uses one category, a different one: po = 0 and pe = 0, so kappa = 0, not undefined.
    Kappa k = Kappa.cohen(new long[][] {{0, 7}, {0, 0}});
    assertThat(k.observed()).isZero();
    assertThat(k.expected()).isZero();
    assertThat(k.value()).isZero();
    // Independent raters with the same marginals: po = pe = 0.5.
    assertThat(Kappa.cohen(new long[][] {{1, 1}, {1, 1}}).value()).isZero();
  }

  @Test
  void noItemsIsUndefined() {
    Kappa k = Kappa.cohen(new long[3][3]);
    assertThat(k.n()).isZero();
    assertThat(k.defined()).isFalse();
    assertThat(k.value()).isNaN();
    assertThat(k.observed()).isNaN();
    assertThat(k.undefinedReason()).isEqualTo("no items rated by both");
    assertThat(k).hasToString("kappa undefined (n = 0): no items rated by both");
  }

  @Test
  void everyItemInOneSharedCategoryIsUndefinedAlthoughBothAgreeFully() {
    // po = 1 and pe = 1: 0/0. Reported as undefined, not as 1 or 0.
    Kappa k = Kappa.cohen(new long[][] {{0, 0, 0}, {0, 0, 0}, {0, 0, 9}});
    assertThat(k.n()).isEqualTo(9);
    assertThat(k.observed()).isEqualTo(1.0);
    assertThat(k.expected()).isEqualTo(1.0);
    assertThat(k.defined()).isFalse();
    assertThat(k.undefinedReason()).isEqualTo("both raters used one and the same category for every item");
  }

  @Test
  void malformedTablesAreRefused() {
    assertThatThrownBy(() -> Kappa.cohen(new long[][] {{1, 2}, {3}})).hasMessageContaining("square");
    assertThatThrownBy(() -> Kappa.cohen(new long[][] {{1, -2}, {3, 4}})).hasMessageContaining("non-negative");
  }
}
