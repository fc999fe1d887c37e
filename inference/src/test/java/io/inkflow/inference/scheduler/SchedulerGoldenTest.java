package io.inkflow.inference.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.inkflow.inference.scheduler.SchedulerReference.Config;
import io.inkflow.inference.testing.Tolerance;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every scheduler configuration and step count of the diffusers golden data
 * ({@link SchedulerReference}): the effective config, schedules (integer timesteps exact, float
 * ones and sigmas within 1 ulp), init_noise_sigma, and each step replayed from the stored input
 * sample, model output and noise, then one free-running loop with the README's fake model. Latents,
 * {@code pred_original_sample} and {@code denoised} within {@code 2e-5 + 1e-5 * |expected|}.
 */
class SchedulerGoldenTest {
  private static final Logger LOG = LoggerFactory.getLogger(SchedulerGoldenTest.class);
  private static final double ATOL = 2e-5;
  private static final double RTOL = 1e-5;
  private static final Map<String, Double> WORST = new TreeMap<>();
  private static final Map<String, Integer> ULPS = new TreeMap<>();

  static Stream<Arguments> runs() {
    List<Arguments> out = new ArrayList<>();
    for (Config c : SchedulerReference.configs()) {
      for (JsonNode run : c.json().get("runs")) {
        out.add(Arguments.of(c.id() + " N=" + run.get("num_inference_steps").asInt(), c, run));
      }
    }
    return out.stream();
  }

  @AfterAll
  static void report() {
    WORST.forEach((family, worst) -> LOG.info("{}: largest |java - diffusers| {}", family, worst));
  }

  @Test
  void theIndexListsEveryConfigurationOfTheReadme() {
    List<String> ids = new ArrayList<>();
    SchedulerReference.index().get("configs").forEach(c -> ids.add(c.get("id").asText()));
    assertThat(ids).hasSize(17).contains("sd15_euler_leading", "sd15_euler_ancestral_trailing",
        "sd15_dpmpp2m_karras_leading", "sd15_ddim_trailing", "sd15_lcm_leading", "sd21_euler_vpred_linspace",
        "sd3_flowmatch_shift3", "flux_dev_seq1024", "flux_dev_seq4096");
  }

  /** The config as a pack would build it: the published file, the overrides, re-targeted to the class. */
  static SchedulerConfig config(Config c) {
    ObjectNode file = c.json().get("published_config_json").deepCopy();
    file.setAll((ObjectNode) c.json().get("overrides"));
    return SchedulerConfig.parse(file.toString()).withClassName(c.schedulerClass());
  }

  static Scheduler scheduler(Config c, SchedulerConfig config, JsonNode run) {
    int steps = run.get("num_inference_steps").asInt();
    if (run.has("mu")) {
      double mu = Scheduler.dynamicShiftMu(config, run.get("image_seq_len").asInt());
      assertThat(mu).as("mu").isEqualTo(run.get("mu").asDouble());
      return Scheduler.createFlow(config, steps, mu);
    }
    return Scheduler.create(config, steps);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("runs")
  void effectiveConfigMatches(String name, Config c, JsonNode run) {
    SchedulerConfig config = config(c);
    assertThat(config.className()).isEqualTo(c.schedulerClass());
    // also from the dict diffusers was handed
    ObjectNode input = c.json().get("from_config_input").deepCopy();
    SchedulerConfig direct = SchedulerConfig.parse(input.put("_class_name", c.schedulerClass()).toString());
    assertThat(direct.effective()).isEqualTo(config.effective());
    JsonNode expected = c.json().get("effective_config");
    List<String> keys = new ArrayList<>();
    expected.fieldNames().forEachRemaining(keys::add);
    assertThat(config.effective().keySet()).containsExactlyElementsOf(keys);
    for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext();) {
      Map.Entry<String, JsonNode> e = it.next();
      Object mine = config.effective().get(e.getKey());
      JsonNode ref = e.getValue();
      if (ref.isNull()) {
        assertThat(mine).as(e.getKey()).isNull();
      } else if (ref.isNumber()) {
        assertThat(((Number) mine).doubleValue()).as(e.getKey()).isEqualTo(ref.doubleValue());
      } else if (ref.isBoolean()) {
        assertThat(mine).as(e.getKey()).isEqualTo(ref.booleanValue());
      } else {
        assertThat(mine).as(e.getKey()).isEqualTo(ref.asText());
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("runs")
  void scheduleMatches(String name, Config c, JsonNode run) {
    SchedulerConfig config = config(c);
    BaseScheduler s = (BaseScheduler) scheduler(c, config, run);
    JsonNode timesteps = run.get("timesteps");
    float[] expectedTimesteps = SchedulerReference.floats(timesteps.get("values"));
    float[] actual = new float[s.steps()];
    for (int i = 0; i < actual.length; i++) {
      actual[i] = s.timestep(i);
    }
    if (timesteps.get("dtype").asText().equals("int64")) {
      assertThat(actual).as("timesteps").containsExactly(expectedTimesteps);
    } else {
      assertUlps("timesteps", actual, expectedTimesteps, 1);
    }
    if (run.has("sigmas")) {
      assertUlps("sigmas", s.sigmas(), SchedulerReference.floats(run.get("sigmas").get("values")), 1);
    } else {
      assertThat(s.sigmas()).isNull();
    }
    JsonNode init = run.get("init_noise_sigma");
    float expectedInit = init.isNull() ? 1f : Float.parseFloat(init.get("value").asText());
    assertUlps("init_noise_sigma", new float[] {s.initNoiseSigma()}, new float[] {expectedInit}, 1);
    if (c.json().has("alphas_cumprod")) {
      assertThat(Numerics.alphasCumprod(config)).as("alphas_cumprod")
          .containsExactly(c.tensor(c.json().get("alphas_cumprod")));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("runs")
  void eachStepReplaysFromTheStoredInputs(String name, Config c, JsonNode run) {
    Scheduler s = scheduler(c, config(c), run);
    float[] input = c.tensor(run.get("initial_latent"));
    float[] noise0 = c.tensor(run.get("initial_noise"));
    float[] latent = new float[noise0.length];
    for (int i = 0; i < latent.length; i++) {
      latent[i] = noise0[i] * s.initNoiseSigma();
    }
    record(c, "initial latent", latent, input);
    JsonNode steps = run.get("steps");
    assertThat(s.steps()).isEqualTo(steps.size());
    for (JsonNode step : steps) {
      int i = step.get("i").asInt();
      String at = "step " + i;
      assertThat(s.timestep(i)).as(at + " t").isEqualTo(Float.parseFloat(step.get("t").get("value").asText()));
      if (step.has("scaled_model_input")) {
        float[] scaled = new float[input.length];
        s.scaleModelInput(input, i, scaled);
        record(c, at + " scaled_model_input", scaled, c.tensor(step.get("scaled_model_input")));
      } else {
        assertThat(s.inputDivisor(i)).as(at + " input divisor").isEqualTo(1f);
      }
      JsonNode noiseRefs = step.get("noise");
      assertThat(s.drawsNoise(i)).as(at + " draws noise").isEqualTo(noiseRefs.size() == 1);
      float[] noise = noiseRefs.size() == 1 ? c.tensor(noiseRefs.get(0)) : null;
      float[] sample = input.clone();
      float[] denoised = new float[sample.length];
      s.step(c.tensor(step.get("model_output")), i, sample, noise, denoised);
      float[] expected = c.tensor(step.get("prev_sample"));
      record(c, at + " prev_sample", sample, expected);
      for (String key : List.of("pred_original_sample", "denoised")) {
        if (step.has(key)) {
          record(c, at + " " + key, denoised, c.tensor(step.get(key)));
        }
      }
      input = expected;
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("runs")
  void aFreeRunningLoopEndsAtTheStoredLatent(String name, Config c, JsonNode run) {
    Scheduler s = scheduler(c, config(c), run);
    float[] x = c.tensor(run.get("initial_noise"));
    for (int i = 0; i < x.length; i++) {
      x[i] = x[i] * s.initNoiseSigma();
    }
    float[] modelInput = new float[x.length];
    float[] modelOutput = new float[x.length];
    JsonNode steps = run.get("steps");
    for (int k = 0; k < s.steps(); k++) {
      s.scaleModelInput(x, k, modelInput);
      float c0 = (0.1f * s.timestep(k)) / 1000f; // the README's float32 fake model
      for (int i = 0; i < x.length; i++) {
        modelOutput[i] = 0.5f * modelInput[i] + c0;
      }
      JsonNode noiseRefs = steps.get(k).get("noise");
      s.step(modelOutput, k, x, s.drawsNoise(k) ? c.tensor(noiseRefs.get(0)) : null);
    }
    record(c, "final latent", x, c.tensor(run.get("final_latent")));
  }

  private static void record(Config c, String what, float[] actual, float[] expected) {
    double worst = Tolerance.assertClose(c.id() + " " + what, actual, expected, ATOL, RTOL);
    WORST.merge(family(c), worst, Math::max);
  }

  private static String family(Config c) {
    String cls = c.schedulerClass();
    return cls.equals(SchedulerConfig.DPM_SOLVER_MULTISTEP) && c.id().contains("karras") ? cls + " (Karras)" : cls;
  }

  private static void assertUlps(String what, float[] actual, float[] expected, int ulps) {
    assertThat(actual).as(what + " length").hasSameSizeAs(expected);
    for (int i = 0; i < expected.length; i++) {
      int distance = Math.abs(Float.floatToIntBits(actual[i]) - Float.floatToIntBits(expected[i]));
      if (actual[i] == expected[i]) {
        distance = 0;
      }
      ULPS.merge(what, distance, Math::max);
      assertThat(distance).as("%s[%d]: expected %s, found %s", what, i, expected[i], actual[i])
          .isLessThanOrEqualTo(ulps);
    }
  }

  @AfterAll
  static void reportUlps() {
    ULPS.forEach((what, ulps) -> LOG.info("{}: largest distance {} ulp", what, ulps));
  }
}
