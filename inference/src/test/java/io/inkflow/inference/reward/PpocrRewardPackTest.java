package io.inkflow.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.pack.PackException;
import io.inkflow.inference.pack.RewardPackManifest;
import io.inkflow.inference.runtime.GraphSession;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.inference.testing.OcrTestModels;
import io.inkflow.inference.testing.TestPacks;
import io.inkflow.inference.testing.TextImages;
import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A reward pack whose text rendering is read by PP-OCR: Seedream's metrics per requested text. */
class PpocrRewardPackTest {
  private static RewardModel model;

  @BeforeAll
  static void open() {
    model = RewardModel.open(TestPacks.miniRewardPpocr(), SessionOptionsConfig.cpu(), Optional.of(OcrTestModels.dir()));
  }

  @AfterAll
  static void close() {
    model.close();
  }

  private static RgbImage drawn(String... lines) {
    return TextImages.draw(TextImages.font(TextImages.NOTO_CJK, 40), List.of(lines), Color.BLACK, Color.WHITE);
  }

  @Test
  void theManifestNamesPpocrAndItsAvailabilityThreshold() {
    RewardPackManifest m = model.manifest();
    assertThat(m.textRendering().head()).isEqualTo(RewardPackManifest.TextHead.PPOCR);
    assertThat(m.textRendering().availability()).isEqualTo(0.8);
    assertThat(m.graphs()).doesNotContainKey(RewardPackManifest.TEXT_RENDERING);
  }

  @Test
  void textsDrawnOnTwoLinesAreFoundReadAndAvailable() {
    List<RewardScores> s = model.score(List.of(
        new RewardInput(drawn("新年快乐", "SALE 50%"), "a poster", null, List.of("SALE 50%", "新年快乐"))));
    TextRenderingScore text = s.get(0).textRendering().orElseThrow();
    assertThat(text.accuracy()).isEqualTo(1.0);
    assertThat(text.hitRate()).isEqualTo(1.0);
    assertThat(text.available()).isTrue();
    assertThat(text.texts()).extracting(TextRenderingScore.TextMatch::matched).containsExactly("SALE50%", "新年快乐");
  }

  @Test
  void aMisspelledTextLosesAccuracyAndAvailability() {
    TextRenderingScore text = model.score(List.of(new RewardInput(drawn("SAIL 50%"), "a poster", null,
        List.of("SALE 50%")))).get(0).textRendering().orElseThrow();
    assertThat(text.accuracy()).isLessThan(0.8);
    assertThat(text.available()).isFalse();
  }

  @Test
  void anImageWithoutTextWhereTextWasAskedScoresZeroNotAnError() {
    byte[] sky = new byte[256 * 256 * 3];
    Arrays.fill(sky, (byte) 180);
    List<RewardScores> s = model.score(List.of(
        new RewardInput(new RgbImage(256, 256, sky), "a poster", null, List.of("开业大吉")),
        new RewardInput(new RgbImage(256, 256, sky), "a sky", null, List.of("\u00a0", " "))));
    TextRenderingScore text = s.get(0).textRendering().orElseThrow();
    assertThat(text.accuracy()).isZero();
    assertThat(text.available()).isFalse();
    assertThat(text.nothingRead()).isTrue();
    assertThat(s.get(1).textRendering()).as("texts blank after NFKC are no text").isEmpty();
  }

  @Test
  void aPpocrPackRefusesToLoadWithoutItsModelsNamingTheFileAndHash(@TempDir Path empty) {
    int before = GraphSession.liveSessions();
    assertThatThrownBy(() -> RewardModel.open(TestPacks.miniRewardPpocr(), SessionOptionsConfig.cpu(), Optional.empty()))
        .isInstanceOf(PackException.class)
        .hasMessageContaining("INKFLOW_OCR_MODELS");
    assertThatThrownBy(() -> RewardModel.open(TestPacks.miniRewardPpocr(), SessionOptionsConfig.cpu(), Optional.of(empty)))
        .isInstanceOf(PackException.class)
        .hasMessageContaining("ch_PP-OCRv4_det_infer.onnx")
        .hasMessageContaining("30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff");
    assertThat(GraphSession.liveSessions()).isEqualTo(before);
    assertThat(Files.isDirectory(empty)).isTrue();
  }
}
