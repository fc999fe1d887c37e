package io.inkflow.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inkflow.infra.demo.DemoMain;
import io.inkflow.inference.image.PngText;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * A catalogue through every stage with a pack read from a diffusers export, as {@code scripts/demo
 * --pack DIR} runs it: the PE stream resolves it with the CLIP tokenizer and the pack's language
 * policy, the worker runs the Stable Diffusion pipeline, images reach S3 and are scored.
 */
class DiffusersExportIT {
  @TempDir Path dir;

  /**
   * tiny-sdxl (a UNet family: fp16, two CLIP encoders, a rank-0 timestep) and tiny-flux (a transformer
   * family: T5 budgets the prompt, packed latents); tiny-sd's and tiny-sd3's paths differ only inside
   * the pipelines and the planner, which their own tests cover.
   */
  @ParameterizedTest
  @ValueSource(strings = {"tiny-sdxl", "tiny-flux"})
  void aCatalogueRunsOnAnExportAsOptimumWritesIt(String fixture) throws Exception {
    Path csv = dir.resolve("catalogue.csv");
    Files.writeString(csv, """
        sku,prompt,width,height,num_images,category
        D-1,"a red teapot on a white table, studio light",64,64,2,home
        D-2,"a poster that says \"\"SALE\"\" in big letters",96,64,1,poster
        D-3,一只可爱的猫坐在窗台上,64,64,1,pets
        """, StandardCharsets.UTF_8);
    Path out = dir.resolve("out");
    int status = new CommandLine(new DemoMain()).execute("--output", out.toString(), "--catalog", csv.toString(),
        "--pack", Path.of("models", fixture).toString(), "--reward-pack", Path.of("models", "mini-reward").toString(),
        "--timeout", "PT3M");
    assertThat(status).isZero();

    Map<String, JsonNode> bySku = new HashMap<>();
    ObjectMapper json = new ObjectMapper();
    for (String line : Files.readAllLines(out.resolve("manifest.jsonl"))) {
      JsonNode row = json.readTree(line);
      bySku.put(row.get("tags").get("sku").asText(), row);
    }
    assertThat(bySku.get("D-1").get("status").asText()).isEqualTo("COMPLETED");
    assertThat(bySku.get("D-2").get("status").asText()).isEqualTo("COMPLETED");
    // Both packs pass prompts in languages they do not declare, with a note (tiny-sd refuses them: the
    // planner's tests cover that).
    assertThat(bySku.get("D-3").get("status").asText()).isEqualTo("COMPLETED");

    // The best images carry the export's scheduler, the safety flag and the PE stream's notes.
    List<Path> pngs;
    try (Stream<Path> files = Files.list(out.resolve("images"))) {
      pngs = files.filter(p -> p.toString().endsWith(".png")).toList();
    }
    assertThat(pngs).isNotEmpty();
    for (Path png : pngs) {
      Map<String, String> text = PngText.read(Files.readAllBytes(png));
      assertThat(text.get("scheduler")).startsWith(fixture.equals("tiny-flux") ? "FlowMatchEulerDiscreteScheduler"
          : "EulerDiscreteScheduler timestep_spacing=");
      assertThat(text.get("safety_checked")).isEqualTo("false");
      assertThat(text.get("model")).startsWith(fixture.equals("tiny-flux") ? "flux-" : "sdxl-");
    }
    assertThat(pngs).anySatisfy(png -> assertThat(PngText.read(Files.readAllBytes(png)).get("prompt")).contains("SALE"));
  }
}
