package io.inkflow.inference.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** Parsing, class defaults, re-targeting (diffusers' {@code from_config}) and refusals. */
class SchedulerConfigTest {
  private static SchedulerConfig sd15() {
    return SchedulerConfig.parse(SchedulerInvariantsTest.SD15);
  }

  private static SchedulerConfig only(String cls, String keys) {
    return SchedulerConfig.parse("{\"_class_name\": \"" + cls + "\"" + (keys.isEmpty() ? "" : ", " + keys) + "}");
  }

  @Test
  void missingKeysTakeTheClassDefaults() {
    assertThat(only(SchedulerConfig.EULER, "").effective()).containsEntry("timestep_spacing", "linspace")
        .containsEntry("beta_schedule", "linear").containsEntry("steps_offset", 0)
        .containsEntry("use_karras_sigmas", false).containsEntry("final_sigmas_type", "zero");
    assertThat(only(SchedulerConfig.EULER_ANCESTRAL, "").effective()).containsEntry("timestep_spacing", "linspace")
        .hasSize(9);
    assertThat(only(SchedulerConfig.DDIM, "").effective()).containsEntry("timestep_spacing", "leading")
        .containsEntry("clip_sample", true).containsEntry("set_alpha_to_one", true);
    assertThat(only(SchedulerConfig.DPM_SOLVER_MULTISTEP, "").effective()).containsEntry("solver_order", 2)
        .containsEntry("algorithm_type", "dpmsolver++").containsEntry("lower_order_final", true)
        .containsEntry("lambda_min_clipped", Double.NEGATIVE_INFINITY).containsEntry("timestep_spacing", "linspace");
    assertThat(only(SchedulerConfig.LCM, "").effective()).containsEntry("beta_schedule", "scaled_linear")
        .containsEntry("beta_start", 0.00085).containsEntry("original_inference_steps", 50)
        .containsEntry("timestep_scaling", 10.0);
    assertThat(only(SchedulerConfig.FLOW_MATCH_EULER, "").effective()).containsEntry("shift", 1.0)
        .containsEntry("use_dynamic_shifting", false).containsEntry("base_image_seq_len", 256);
  }

  @Test
  void sd15sPndmConfigRetargetsToEachClassWithItsOwnDefaults() {
    SchedulerConfig pndm = sd15();
    assertThat(pndm.supported()).isFalse();
    for (String cls : SchedulerConfig.supportedClasses()) {
      Map<String, Object> e = pndm.withClassName(cls).effective();
      if (!cls.equals(SchedulerConfig.FLOW_MATCH_EULER)) {
        assertThat(e).as(cls).containsEntry("beta_schedule", "scaled_linear").containsEntry("beta_start", 0.00085)
            .containsEntry("steps_offset", 1).doesNotContainKey("skip_prk_steps");
      }
    }
    // the file has no timestep_spacing: each class keeps its own default
    assertThat(pndm.withClassName(SchedulerConfig.EULER).timestepSpacing()).isEqualTo("linspace");
    assertThat(pndm.withClassName(SchedulerConfig.DDIM).timestepSpacing()).isEqualTo("leading");
    assertThat(pndm.withClassName(SchedulerConfig.DDIM).effective()).containsEntry("set_alpha_to_one", false)
        .containsEntry("clip_sample", false);
    assertThat(pndm.withClassName(SchedulerConfig.EULER).effective()).doesNotContainKey("set_alpha_to_one");
    // re-targeting twice is the file's keys again, not the intermediate class's defaults
    assertThat(pndm.withClassName(SchedulerConfig.DDIM).withClassName(SchedulerConfig.EULER).timestepSpacing())
        .isEqualTo("linspace");
  }

  @Test
  void unknownKeysAndUnderscoreKeysAreIgnored() {
    SchedulerConfig c = only(SchedulerConfig.EULER, "\"_diffusers_version\": \"0.6.0\", \"skip_prk_steps\": true,"
        + " \"something_new\": [1, 2]");
    assertThat(c.given()).doesNotContainKey("_diffusers_version").containsKey("something_new");
    assertThat(c.effective()).doesNotContainKeys("skip_prk_steps", "something_new");
  }

  @Test
  void anUnsupportedClassNamesTheSupportedOnes() {
    String expected = "unsupported scheduler class 'PNDMScheduler': expected one of [EulerDiscreteScheduler,"
        + " EulerAncestralDiscreteScheduler, DPMSolverMultistepScheduler, DDIMScheduler, LCMScheduler,"
        + " FlowMatchEulerDiscreteScheduler] (withClassName re-targets a config to one of them)";
    assertThatThrownBy(() -> Scheduler.create(sd15(), 20)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage(expected);
    assertThatThrownBy(() -> sd15().effective()).hasMessage(expected);
    assertThatThrownBy(() -> only(SchedulerConfig.EULER, "").withClassName("UniPCMultistepScheduler"))
        .hasMessageStartingWith("unsupported scheduler class 'UniPCMultistepScheduler': expected one of [");
  }

  @Test
  void unsupportedSettingsAreRefusedNamingKeyExpectedAndFound() {
    assertThatThrownBy(() -> only(SchedulerConfig.DDIM, "\"thresholding\": true"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("DDIMScheduler: thresholding: expected false (the only value supported), found true");
    assertThatThrownBy(() -> only(SchedulerConfig.DPM_SOLVER_MULTISTEP, "\"algorithm_type\": \"dpmsolver\""))
        .hasMessage("DPMSolverMultistepScheduler: algorithm_type: expected one of [dpmsolver++], found 'dpmsolver'");
    assertThatThrownBy(() -> only(SchedulerConfig.DPM_SOLVER_MULTISTEP, "\"algorithm_type\": \"sde-dpmsolver++\""))
        .hasMessageContaining("found 'sde-dpmsolver++'");
    assertThatThrownBy(() -> only(SchedulerConfig.DPM_SOLVER_MULTISTEP, "\"solver_order\": 3"))
        .hasMessage("DPMSolverMultistepScheduler: solver_order: expected 1 or 2, found 3");
    assertThatThrownBy(() -> only(SchedulerConfig.EULER, "\"rescale_betas_zero_snr\": true"))
        .hasMessage("EulerDiscreteScheduler: rescale_betas_zero_snr: expected false (the only value supported),"
            + " found true");
    assertThatThrownBy(() -> only(SchedulerConfig.EULER, "\"interpolation_type\": \"log_linear\""))
        .hasMessage("EulerDiscreteScheduler: interpolation_type: expected one of [linear], found 'log_linear'");
    assertThatThrownBy(() -> only(SchedulerConfig.EULER_ANCESTRAL, "\"prediction_type\": \"sample\""))
        .hasMessage("EulerAncestralDiscreteScheduler: prediction_type: expected one of [epsilon, v_prediction],"
            + " found 'sample'");
    assertThatThrownBy(() -> only(SchedulerConfig.EULER, "\"beta_schedule\": \"cosine\""))
        .hasMessageContaining("beta_schedule: expected one of [linear, scaled_linear, squaredcos_cap_v2],"
            + " found 'cosine'");
    assertThatThrownBy(() -> only(SchedulerConfig.FLOW_MATCH_EULER, "\"stochastic_sampling\": true"))
        .hasMessageContaining("stochastic_sampling: expected false");
    assertThatThrownBy(() -> only(SchedulerConfig.FLOW_MATCH_EULER, "\"shift_terminal\": 0.02"))
        .hasMessageContaining("shift_terminal: expected null (the only value supported), found 0.02");
    // a PNDM file with a setting the target cannot run fails when re-targeted
    SchedulerConfig thresholded = SchedulerConfig.parse(SchedulerInvariantsTest.SD15.replace("}",
        ", \"thresholding\": true}"));
    assertThatThrownBy(() -> thresholded.withClassName(SchedulerConfig.DDIM)).hasMessageContaining("thresholding");
    assertThat(thresholded.withClassName(SchedulerConfig.EULER).effective()).doesNotContainKey("thresholding");
  }

  @Test
  void wrongTypesAreRefused() {
    assertThatThrownBy(() -> only(SchedulerConfig.EULER, "\"steps_offset\": \"1\""))
        .hasMessage("EulerDiscreteScheduler: steps_offset: expected an integer, found '1'");
    assertThatThrownBy(() -> only(SchedulerConfig.EULER, "\"steps_offset\": 1.5"))
        .hasMessage("EulerDiscreteScheduler: steps_offset: expected an integer, found 1.5");
    assertThatThrownBy(() -> only(SchedulerConfig.EULER, "\"beta_start\": null"))
        .hasMessage("EulerDiscreteScheduler: beta_start: expected a number, found null");
    assertThatThrownBy(() -> only(SchedulerConfig.DDIM, "\"clip_sample\": \"false\""))
        .hasMessage("DDIMScheduler: clip_sample: expected true or false, found 'false'");
    assertThatThrownBy(() -> SchedulerConfig.parse("{\"beta_start\": 0.1}"))
        .hasMessage("scheduler config key '_class_name': expected a string, found no such key");
    assertThatThrownBy(() -> SchedulerConfig.parse("[1]")).hasMessage("scheduler config: expected a JSON object,"
        + " found ARRAY");
    // integral floats and integers are accepted where the other is expected, as Python would
    assertThat(only(SchedulerConfig.EULER, "\"num_train_timesteps\": 1000.0, \"beta_start\": 1").effective())
        .containsEntry("num_train_timesteps", 1000).containsEntry("beta_start", 1.0);
  }

  @Test
  void trainedBetasOfTheRightLengthReplaceTheSchedule() {
    float[] linear = Numerics.alphasCumprod(only(SchedulerConfig.DDIM, "\"num_train_timesteps\": 20"));
    float[] betas = Numerics.torchLinspace(0.0001, 0.02, 20);
    List<String> values = new ArrayList<>();
    for (float b : betas) {
      values.add(Float.toString(b));
    }
    SchedulerConfig trained = only(SchedulerConfig.DDIM, "\"num_train_timesteps\": 20, \"trained_betas\": "
        + values);
    assertThat(Numerics.alphasCumprod(trained)).containsExactly(linear);
    assertThatThrownBy(() -> only(SchedulerConfig.DDIM, "\"trained_betas\": [0.1, 0.2]"))
        .hasMessage("DDIMScheduler: trained_betas: expected 1000 values (num_train_timesteps), found 2");
    assertThatThrownBy(() -> only(SchedulerConfig.DDIM, "\"trained_betas\": \"0.1\""))
        .hasMessage("DDIMScheduler: trained_betas: expected null or a list of numbers, found '0.1'");
  }

  @Test
  void diffusersAliasesMapAsDiffusersMapsThem() {
    SchedulerConfig unipcLike = only(SchedulerConfig.DPM_SOLVER_MULTISTEP,
        "\"algorithm_type\": \"deis\", \"solver_type\": \"bh2\"");
    assertThat(unipcLike.effective()).containsEntry("algorithm_type", "dpmsolver++")
        .containsEntry("solver_type", "midpoint");
    assertThat(only(SchedulerConfig.DPM_SOLVER_MULTISTEP, "\"lambda_min_clipped\": -Infinity").effective())
        .containsEntry("lambda_min_clipped", Double.NEGATIVE_INFINITY);
  }

  @Test
  void createFlowNeedsAFlowConfigAndCreateRefusesMissingMu() {
    SchedulerConfig flux = only(SchedulerConfig.FLOW_MATCH_EULER, "\"shift\": 3.0, \"use_dynamic_shifting\": true");
    assertThatThrownBy(() -> Scheduler.create(flux, 20)).hasMessageContaining("use_dynamic_shifting is true");
    assertThatThrownBy(() -> Scheduler.createFlow(sd15().withClassName(SchedulerConfig.EULER), 20, 0.5))
        .hasMessage("createFlow: expected a FlowMatchEulerDiscreteScheduler config, found EulerDiscreteScheduler");
    assertThat(Scheduler.dynamicShiftMu(flux, 256)).isEqualTo(0.5);
    assertThat(Scheduler.dynamicShiftMu(flux, 4096)).isCloseTo(1.15, Offset.offset(1e-12));
  }
}
