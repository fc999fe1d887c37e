package io.inkflow.inference.ocr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.pack.PackException;
import io.inkflow.inference.runtime.GraphSession;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.inference.testing.OcrTestModels;
import io.inkflow.inference.testing.TextImages;
import java.awt.Color;
import java.awt.Font;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PP-OCRv4 reading text drawn with a real font, and refusing models that are not the pinned ones. */
class PpOcrTest {
  private static PpOcr ocr;

  @BeforeAll
  static void open() {
    ocr = PpOcr.open(OcrTestModels.verified(), SessionOptionsConfig.cpu());
  }

  @AfterAll
  static void close() {
    ocr.close();
  }

  private static String joined(OcrResult r) {
    return String.join("", r.texts()).replaceAll("\\s", "");
  }

  @Test
  void readsChineseLatinAndDigitsDrawnWithARealFont() {
    Font font = TextImages.font(TextImages.NOTO_CJK, 32);
    for (String text : List.of("春眠不觉晓处处闻啼鸟", "Spring Sale 2026", "新品上市限时八折", "ORDER 7350 包邮")) {
      OcrResult r = ocr.read(TextImages.draw(font, List.of(text), Color.BLACK, Color.WHITE));
      assertThat(joined(r)).as("read %s", text).isEqualTo(text.replace(" ", ""));
      assertThat(r.lines()).singleElement().satisfies(l -> assertThat(l.confidence()).isBetween(0.5, 1.0));
    }
  }

  @Test
  void linesComeTopToBottomWithBoxesInsideTheImage() {
    RgbImage image = TextImages.draw(TextImages.font(TextImages.NOTO_CJK, 28), List.of("第一行文字", "SECOND LINE"),
        new Color(20, 40, 120), new Color(250, 240, 210));
    OcrResult r = ocr.read(image);
    assertThat(r.texts()).extracting(t -> t.replace(" ", "")).containsExactly("第一行文字", "SECONDLINE");
    for (OcrLine line : r.lines()) {
      for (int i = 0; i < 8; i += 2) {
        assertThat(line.box().get(i)).isBetween(0.0, image.width() - 1.0);
        assertThat(line.box().get(i + 1)).isBetween(0.0, image.height() - 1.0);
      }
    }
    assertThat(r.lines().get(0).box().get(1)).isLessThan(r.lines().get(1).box().get(1));
    assertThat(r.detectNanos()).isPositive();
    assertThat(r.recognizeNanos()).isPositive();
  }

  @Test
  void findsNothingInAnImageWithoutText() {
    byte[] grey = new byte[300 * 200 * 3];
    Arrays.fill(grey, (byte) 128);
    assertThat(ocr.read(new RgbImage(300, 200, grey)).lines()).isEmpty();
    assertThat(ocr.read(new RgbImage(1, 1, new byte[3])).lines()).isEmpty();
  }

  @Test
  void extremeShapesAreReadWithoutFailing() {
    Font font = TextImages.font(TextImages.NOTO_CJK, 20);
    RgbImage banner = TextImages.draw(font, List.of("A".repeat(150)), Color.BLACK, Color.WHITE);
    assertThat(banner.width()).isGreaterThan(PpOcr.LIMIT_SIDE);
    ocr.read(banner);
    ocr.read(new RgbImage(4000, 2, new byte[4000 * 2 * 3]));
    ocr.read(new RgbImage(2, 3000, new byte[2 * 3000 * 3]));
  }

  @Test
  void refusesARecogniserWhoseClassesDoNotMatchTheDictionary(@TempDir Path dir) throws Exception {
    OcrModels pinned = OcrTestModels.verified();
    Path longer = dir.resolve("keys.txt");
    Files.writeString(longer, Files.readString(pinned.dictionary(), StandardCharsets.UTF_8) + "\n额外",
        StandardCharsets.UTF_8);
    int before = GraphSession.liveSessions();
    assertThatThrownBy(() -> PpOcr.open(new OcrModels(pinned.detection(), pinned.recognition(), longer),
        SessionOptionsConfig.cpu()))
        .isInstanceOf(PackException.class)
        .hasMessageContaining("expected 6626 classes")
        .hasMessageContaining("found 6625");
    assertThat(GraphSession.liveSessions()).isEqualTo(before);
  }

  @Test
  void refusesMissingOrAlteredModelFilesNamingTheFileAndTheExpectedHash(@TempDir Path dir) throws Exception {
    OcrModels pinned = OcrTestModels.verified();
    assertThatThrownBy(() -> OcrModels.verified(dir))
        .isInstanceOf(PackException.class)
        .hasMessageContaining(dir.resolve(OcrModels.DETECTION).toString())
        .hasMessageContaining(OcrModels.DETECTION_SHA256)
        .hasMessageContaining("fetch-ppocr");
    Files.copy(pinned.detection(), dir.resolve(OcrModels.DETECTION));
    Files.copy(pinned.recognition(), dir.resolve(OcrModels.RECOGNITION));
    Files.writeString(dir.resolve(OcrModels.DICTIONARY), "a\nb\n");
    assertThatThrownBy(() -> OcrModels.verified(dir))
        .isInstanceOf(PackException.class)
        .hasMessageContaining(dir.resolve(OcrModels.DICTIONARY).toString())
        .hasMessageContaining("expected " + OcrModels.DICTIONARY_SHA256);
  }
}
