package io.inkflow.inference.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

class PngEncoderTest {

  static RgbImage sample(int width, int height, long seed) {
    Random random = new Random(seed);
    byte[] rgb = new byte[width * height * 3];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int p = (y * width + x) * 3;
        rgb[p] = (byte) (x * 7 + random.nextInt(9));   // gradients + noise: every filter gets used
        rgb[p + 1] = (byte) (y * 5);
        rgb[p + 2] = (byte) random.nextInt(256);
      }
    }
    return new RgbImage(width, height, rgb);
  }

  @ParameterizedTest
  @EnumSource(PngEncoder.Filter.class)
  void imageIoDecodesExactlyThePixelsWritten(PngEncoder.Filter filter) throws Exception {
    RgbImage image = sample(37, 23, 1);
    byte[] png = new PngEncoder(6, filter).encode(image, Map.of());
    RgbImage decoded = PngDecoder.toRgb(ImageIO.read(new ByteArrayInputStream(png)));
    assertThat(decoded.width()).isEqualTo(37);
    assertThat(decoded.height()).isEqualTo(23);
    assertThat(decoded.rgb()).isEqualTo(image.rgb());
  }

  @Test
  void sameInputSameBytesAndNoOtherChunks() {
    RgbImage image = sample(64, 48, 2);
    Map<String, String> text = new LinkedHashMap<>();
    text.put("prompt", "a red circle");
    text.put("seed", "42");
    byte[] a = PngEncoder.standard().encode(image, text);
    byte[] b = PngEncoder.standard().encode(sample(64, 48, 2), new LinkedHashMap<>(text));
    assertThat(a).isEqualTo(b);
    assertThat(chunkTypes(a)).containsExactly("IHDR", "iTXt", "iTXt", "IDAT", "IEND");
    assertThat(PngEncoder.fast().encode(image, text)).isNotEqualTo(a);
  }

  @Test
  void utf8TextSurvivesOurReaderAndImageIo() throws Exception {
    Map<String, String> text = new LinkedHashMap<>();
    text.put("prompt", "中秋快乐，月饼礼盒 — “SALE” 50% OFF 🎉");
    text.put("negative_prompt", "");
    text.put("note", "nul\0inside");
    byte[] png = PngEncoder.standard().encode(sample(8, 8, 3), text);

    Map<String, String> read = PngText.read(png);
    assertThat(read).containsExactly(Map.entry("prompt", "中秋快乐，月饼礼盒 — “SALE” 50% OFF 🎉"),
        Map.entry("negative_prompt", ""), Map.entry("note", "nul\uFFFDinside"));

    // an independent reader: the JDK's PNG metadata tree
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(png))) {
      ImageReader reader = ImageIO.getImageReadersByFormatName("png").next();
      reader.setInput(in);
      IIOMetadata metadata = reader.getImageMetadata(0);
      Node root = metadata.getAsTree("javax_imageio_png_1.0");
      Map<String, String> fromImageIo = new LinkedHashMap<>();
      NodeList children = root.getChildNodes();
      for (int i = 0; i < children.getLength(); i++) {
        if (children.item(i).getNodeName().equals("iTXt")) {
          NodeList entries = children.item(i).getChildNodes();
          for (int j = 0; j < entries.getLength(); j++) {
            Element e = (Element) entries.item(j);
            fromImageIo.put(e.getAttribute("keyword"), e.getAttribute("text"));
          }
        }
      }
      assertThat(fromImageIo).containsEntry("prompt", "中秋快乐，月饼礼盒 — “SALE” 50% OFF 🎉");
      reader.dispose();
    }
  }

  @Test
  void keywordsMustBePngKeywords() {
    RgbImage image = sample(2, 2, 4);
    for (String bad : List.of("", " lead", "trail ", "dou  ble", "x".repeat(80), "中文", "tab\t")) {
      assertThatThrownBy(() -> PngEncoder.standard().encode(image, Map.of(bad, "v")))
          .as("'%s'", bad).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected a PNG keyword");
    }
    PngEncoder.checkKeyword("job_id");
    PngEncoder.checkKeyword("Generation Parameters");
  }

  @Test
  void paethPicksTheNeighbourClosestToTheGradient() {
    // p = a + b - c; pick the one of a, b, c nearest p, ties in the order a, b, c
    assertThat(PngEncoder.paeth(10, 20, 10)).isEqualTo(20); // p = 20
    assertThat(PngEncoder.paeth(20, 10, 10)).isEqualTo(20); // p = 20
    assertThat(PngEncoder.paeth(10, 10, 10)).isEqualTo(10); // tie -> a
    assertThat(PngEncoder.paeth(50, 60, 100)).isEqualTo(50); // p = 10: |10-50|=40, |10-60|=50, |10-100|=90
  }

  static List<String> chunkTypes(byte[] png) {
    List<String> types = new ArrayList<>();
    ByteBuffer b = ByteBuffer.wrap(png);
    b.position(8);
    while (b.remaining() >= 12) {
      int length = b.getInt();
      byte[] type = new byte[4];
      b.get(type);
      types.add(new String(type, StandardCharsets.US_ASCII));
      b.position(b.position() + length + 4);
    }
    return types;
  }
}
