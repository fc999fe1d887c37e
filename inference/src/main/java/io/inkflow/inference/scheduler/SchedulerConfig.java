package io.inkflow.inference.scheduler;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A diffusers {@code scheduler_config.json}: the class it names and the keys it sets.
 *
 * <p>{@link #effective()} resolves the keys the way diffusers' {@code Class.from_config(json)}
 * does: every {@code __init__} parameter of the class takes the file's value when the file has the
 * key and the class default otherwise; keys the class does not accept, and keys starting with an
 * underscore, are ignored. The defaults differ per class (Euler's {@code timestep_spacing} is
 * {@code linspace}, DDIM's {@code leading}), so {@link #withClassName} re-targets a file to another
 * class on the file's own keys, as {@code EulerDiscreteScheduler.from_config(json)} or
 * {@code from_pretrained} does. (Passing an already loaded scheduler's {@code .config} instead would
 * also carry that class's defaults: from SD1.5's PNDM file, {@code timestep_spacing='leading'}.)
 *
 * <p>Values are checked against the class: a wrong type, or a setting this package does not
 * implement (thresholding, zero-SNR rescaling, other DPM-Solver algorithms, …), is refused with an
 * {@link IllegalArgumentException} naming the key, what was expected and what was found. A class
 * this package does not implement can still be parsed (to be re-targeted), but resolving it fails.
 *
 * @param className the {@code _class_name} of the file, or the class it was re-targeted to
 * @param given the file's keys (underscore keys left out) as Integer, Long, Double, Boolean, String,
 *     List or null values
 */
public record SchedulerConfig(String className, Map<String, Object> given) {
  public static final String EULER = "EulerDiscreteScheduler";
  public static final String EULER_ANCESTRAL = "EulerAncestralDiscreteScheduler";
  public static final String DPM_SOLVER_MULTISTEP = "DPMSolverMultistepScheduler";
  public static final String DDIM = "DDIMScheduler";
  public static final String LCM = "LCMScheduler";
  public static final String FLOW_MATCH_EULER = "FlowMatchEulerDiscreteScheduler";

  static final String NUM_TRAIN_TIMESTEPS = "num_train_timesteps";
  static final String BETA_START = "beta_start";
  static final String BETA_END = "beta_end";
  static final String BETA_SCHEDULE = "beta_schedule";
  static final String TRAINED_BETAS = "trained_betas";
  static final String PREDICTION_TYPE = "prediction_type";
  static final String TIMESTEP_SPACING = "timestep_spacing";
  static final String STEPS_OFFSET = "steps_offset";
  static final String USE_KARRAS_SIGMAS = "use_karras_sigmas";
  static final String SIGMA_MIN = "sigma_min";
  static final String SIGMA_MAX = "sigma_max";
  static final String FINAL_SIGMAS_TYPE = "final_sigmas_type";
  static final String SOLVER_ORDER = "solver_order";
  static final String LOWER_ORDER_FINAL = "lower_order_final";
  static final String EULER_AT_FINAL = "euler_at_final";
  static final String LAMBDA_MIN_CLIPPED = "lambda_min_clipped";
  static final String CLIP_SAMPLE = "clip_sample";
  static final String CLIP_SAMPLE_RANGE = "clip_sample_range";
  static final String SET_ALPHA_TO_ONE = "set_alpha_to_one";
  static final String ORIGINAL_INFERENCE_STEPS = "original_inference_steps";
  static final String TIMESTEP_SCALING = "timestep_scaling";
  static final String SHIFT = "shift";
  static final String USE_DYNAMIC_SHIFTING = "use_dynamic_shifting";
  static final String BASE_SHIFT = "base_shift";
  static final String MAX_SHIFT = "max_shift";
  static final String BASE_IMAGE_SEQ_LEN = "base_image_seq_len";
  static final String MAX_IMAGE_SEQ_LEN = "max_image_seq_len";
  static final String TIME_SHIFT_TYPE = "time_shift_type";

  private static final JsonMapper JSON = JsonMapper.builder()
      .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS) // Python's json writes -Infinity (lambda_min_clipped)
      .build();

  /** Keys whose default is a number but that may also be null. */
  private static final Set<String> NULLABLE = Set.of(BASE_SHIFT, MAX_SHIFT);

  /** Keys whose default is null but that hold a number when set. */
  private static final Set<String> FLOATS = Set.of(SIGMA_MIN, SIGMA_MAX, "shift_terminal");

  /** The {@code __init__} parameters and defaults of each supported class, in diffusers' order. */
  private static final Map<String, Map<String, Object>> DEFAULTS = defaults();

  public SchedulerConfig {
    if (className == null || className.isBlank()) {
      throw new IllegalArgumentException("scheduler config: expected a _class_name, found " + className);
    }
    given = Collections.unmodifiableMap(new LinkedHashMap<>(given));
    if (DEFAULTS.containsKey(className)) {
      resolve(className, given);
    }
  }

  /** Parses a {@code scheduler_config.json} document. */
  public static SchedulerConfig parse(String json) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("scheduler config: expected a JSON object, found unparsable text: "
          + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("scheduler config: expected a JSON object, found "
          + (root == null ? "nothing" : root.getNodeType()));
    }
    JsonNode name = root.get("_class_name");
    if (name == null || !name.isTextual()) {
      throw new IllegalArgumentException("scheduler config key '_class_name': expected a string, found "
          + (name == null ? "no such key" : name.toString()));
    }
    Map<String, Object> given = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext();) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getKey().startsWith("_")) {
        given.put(e.getKey(), plain(e.getValue()));
      }
    }
    return new SchedulerConfig(name.asText(), given);
  }

  /** Reads and parses a {@code scheduler_config.json} file. */
  public static SchedulerConfig read(Path file) {
    try {
      return parse(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read scheduler config " + file, e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /** The scheduler classes this package implements. */
  public static Set<String> supportedClasses() {
    return DEFAULTS.keySet();
  }

  public boolean supported() {
    return DEFAULTS.containsKey(className);
  }

  /** The same keys run by another class, as {@code Target.from_config(json)}. */
  public SchedulerConfig withClassName(String target) {
    if (!DEFAULTS.containsKey(target)) {
      throw unsupported(target);
    }
    return new SchedulerConfig(target, given);
  }

  /** Every parameter of the class with the value the scheduler uses (diffusers' {@code scheduler.config}). */
  public Map<String, Object> effective() {
    if (!supported()) {
      throw unsupported(className);
    }
    return resolve(className, given);
  }

  /** One effective parameter; fails if the class has no such parameter. */
  public Object value(String key) {
    Map<String, Object> effective = effective();
    if (!effective.containsKey(key)) {
      throw new IllegalArgumentException(className + " has no parameter '" + key + "'");
    }
    return effective.get(key);
  }

  public int intValue(String key) {
    return (Integer) value(key);
  }

  public double doubleValue(String key) {
    return (Double) value(key);
  }

  public boolean flag(String key) {
    return (Boolean) value(key);
  }

  public String stringValue(String key) {
    return (String) value(key);
  }

  public int numTrainTimesteps() {
    return intValue(NUM_TRAIN_TIMESTEPS);
  }

  public String predictionType() {
    return stringValue(PREDICTION_TYPE);
  }

  public String timestepSpacing() {
    return stringValue(TIMESTEP_SPACING);
  }

  public int stepsOffset() {
    return intValue(STEPS_OFFSET);
  }

  /** The trained betas, or null when the betas come from {@code beta_schedule}. */
  @SuppressWarnings("unchecked")
  public List<Double> trainedBetas() {
    return (List<Double>) value(TRAINED_BETAS);
  }

  private static IllegalArgumentException unsupported(String name) {
    return new IllegalArgumentException("unsupported scheduler class '" + name + "': expected one of "
        + DEFAULTS.keySet() + " (withClassName re-targets a config to one of them)");
  }

  private static Object plain(JsonNode node) {
    if (node.isNull()) {
      return null;
    }
    if (node.isIntegralNumber()) {
      return node.canConvertToInt() ? (Object) node.intValue() : (Object) node.longValue();
    }
    if (node.isNumber()) {
      return node.doubleValue();
    }
    if (node.isBoolean()) {
      return node.booleanValue();
    }
    if (node.isTextual()) {
      return node.textValue();
    }
    if (node.isArray()) {
      List<Object> out = new ArrayList<>();
      node.forEach(n -> out.add(plain(n)));
      return out;
    }
    return node.toString();
  }

  private static Map<String, Object> resolve(String className, Map<String, Object> given) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> d : DEFAULTS.get(className).entrySet()) {
      String key = d.getKey();
      out.put(key, given.containsKey(key) ? typed(className, key, d.getValue(), given.get(key)) : d.getValue());
    }
    validate(className, out);
    return Collections.unmodifiableMap(out);
  }

  /** The given value converted to the type of the class default. */
  private static Object typed(String className, String key, Object dflt, Object value) {
    if (value == null) {
      if (dflt == null || NULLABLE.contains(key)) {
        return null;
      }
      throw wrong(className, key, "a " + typeName(dflt), value);
    }
    if (key.equals(TRAINED_BETAS)) {
      if (!(value instanceof List<?> list) || !list.stream().allMatch(v -> v instanceof Number)) {
        throw wrong(className, key, "null or a list of numbers", value);
      }
      return list.stream().map(v -> ((Number) v).doubleValue()).toList();
    }
    if (dflt instanceof Integer) {
      if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
          && Math.abs(n.doubleValue()) <= Integer.MAX_VALUE) {
        return n.intValue();
      }
      throw wrong(className, key, "an integer", value);
    }
    if (dflt instanceof Double || FLOATS.contains(key)) {
      if (value instanceof Number n) {
        return n.doubleValue();
      }
      throw wrong(className, key, "a number", value);
    }
    if (dflt instanceof Boolean) {
      if (value instanceof Boolean) {
        return value;
      }
      throw wrong(className, key, "true or false", value);
    }
    if (value instanceof String) {
      return value;
    }
    throw wrong(className, key, "a string", value);
  }

  private static String typeName(Object dflt) {
    return dflt instanceof Integer ? "integer" : dflt instanceof Double ? "number"
        : dflt instanceof Boolean ? "boolean" : "string";
  }

  private static void validate(String c, Map<String, Object> v) {
    int trainSteps = (Integer) v.get(NUM_TRAIN_TIMESTEPS);
    if (trainSteps < 2) {
      throw new IllegalArgumentException(c + ": " + NUM_TRAIN_TIMESTEPS + ": expected at least 2, found " + trainSteps);
    }
    if (c.equals(FLOW_MATCH_EULER)) {
      expect(c, v, "invert_sigmas", false);
      expect(c, v, "shift_terminal", null);
      expect(c, v, USE_KARRAS_SIGMAS, false);
      expect(c, v, "use_exponential_sigmas", false);
      expect(c, v, "use_beta_sigmas", false);
      expect(c, v, "stochastic_sampling", false);
      expectOneOf(c, v, TIME_SHIFT_TYPE, "exponential", "linear");
      return;
    }
    expectOneOf(c, v, BETA_SCHEDULE, "linear", "scaled_linear", "squaredcos_cap_v2");
    expect(c, v, "rescale_betas_zero_snr", false);
    Object trained = v.get(TRAINED_BETAS);
    if (trained != null && ((List<?>) trained).size() != trainSteps) {
      throw new IllegalArgumentException(c + ": " + TRAINED_BETAS + ": expected " + trainSteps
          + " values (num_train_timesteps), found " + ((List<?>) trained).size());
    }
    if (v.containsKey("thresholding")) {
      expect(c, v, "thresholding", false);
    }
    switch (c) {
      case EULER -> {
        expectOneOf(c, v, PREDICTION_TYPE, "epsilon", "v_prediction", "sample", "original_sample");
        expectOneOf(c, v, TIMESTEP_SPACING, "linspace", "leading", "trailing");
        expectOneOf(c, v, "interpolation_type", "linear");
        expect(c, v, "use_exponential_sigmas", false);
        expect(c, v, "use_beta_sigmas", false);
        expectOneOf(c, v, "timestep_type", "discrete");
        expectOneOf(c, v, FINAL_SIGMAS_TYPE, "zero", "sigma_min");
      }
      case EULER_ANCESTRAL -> {
        expectOneOf(c, v, PREDICTION_TYPE, "epsilon", "v_prediction");
        expectOneOf(c, v, TIMESTEP_SPACING, "linspace", "leading", "trailing");
      }
      case DPM_SOLVER_MULTISTEP -> {
        // diffusers itself maps these aliases when it constructs the scheduler
        if ("deis".equals(v.get("algorithm_type"))) {
          v.put("algorithm_type", "dpmsolver++");
        }
        if (List.of("logrho", "bh1", "bh2").contains(v.get("solver_type"))) {
          v.put("solver_type", "midpoint");
        }
        expectOneOf(c, v, "algorithm_type", "dpmsolver++");
        expectOneOf(c, v, "solver_type", "midpoint");
        int order = (Integer) v.get(SOLVER_ORDER);
        if (order != 1 && order != 2) {
          throw new IllegalArgumentException(c + ": " + SOLVER_ORDER + ": expected 1 or 2, found " + order);
        }
        expectOneOf(c, v, PREDICTION_TYPE, "epsilon", "v_prediction", "sample");
        expectOneOf(c, v, TIMESTEP_SPACING, "linspace", "leading", "trailing");
        expectOneOf(c, v, FINAL_SIGMAS_TYPE, "zero", "sigma_min");
        expect(c, v, "use_exponential_sigmas", false);
        expect(c, v, "use_beta_sigmas", false);
        expect(c, v, "use_lu_lambdas", false);
        expect(c, v, "use_flow_sigmas", false);
        expect(c, v, USE_DYNAMIC_SHIFTING, false);
        expect(c, v, "variance_type", null);
      }
      case DDIM -> {
        expectOneOf(c, v, PREDICTION_TYPE, "epsilon", "v_prediction", "sample");
        expectOneOf(c, v, TIMESTEP_SPACING, "linspace", "leading", "trailing");
      }
      default -> { // LCM: timestep_spacing is accepted but never read, as in diffusers
        expectOneOf(c, v, PREDICTION_TYPE, "epsilon", "v_prediction", "sample");
        int original = (Integer) v.get(ORIGINAL_INFERENCE_STEPS);
        if (original < 1 || original > trainSteps) {
          throw new IllegalArgumentException(c + ": " + ORIGINAL_INFERENCE_STEPS + ": expected 1 to "
              + trainSteps + " (num_train_timesteps), found " + original);
        }
      }
    }
  }

  private static void expect(String c, Map<String, Object> v, String key, Object supported) {
    Object found = v.get(key);
    if (found == null ? supported != null : !found.equals(supported)) {
      throw new IllegalArgumentException(c + ": " + key + ": expected " + show(supported)
          + " (the only value supported), found " + show(found));
    }
  }

  private static void expectOneOf(String c, Map<String, Object> v, String key, String... supported) {
    Object found = v.get(key);
    if (!List.of(supported).contains(found)) {
      throw new IllegalArgumentException(c + ": " + key + ": expected one of " + List.of(supported)
          + ", found " + show(found));
    }
  }

  private static IllegalArgumentException wrong(String c, String key, String expected, Object found) {
    return new IllegalArgumentException(c + ": " + key + ": expected " + expected + ", found " + show(found));
  }

  private static String show(Object value) {
    return value instanceof String s ? "'" + s + "'" : String.valueOf(value);
  }

  private static Map<String, Map<String, Object>> defaults() {
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    out.put(EULER, keys(
        NUM_TRAIN_TIMESTEPS, 1000, BETA_START, 0.0001, BETA_END, 0.02, BETA_SCHEDULE, "linear",
        TRAINED_BETAS, null, PREDICTION_TYPE, "epsilon", "interpolation_type", "linear",
        USE_KARRAS_SIGMAS, false, "use_exponential_sigmas", false, "use_beta_sigmas", false,
        SIGMA_MIN, null, SIGMA_MAX, null, TIMESTEP_SPACING, "linspace", "timestep_type", "discrete",
        STEPS_OFFSET, 0, "rescale_betas_zero_snr", false, FINAL_SIGMAS_TYPE, "zero"));
    out.put(EULER_ANCESTRAL, keys(
        NUM_TRAIN_TIMESTEPS, 1000, BETA_START, 0.0001, BETA_END, 0.02, BETA_SCHEDULE, "linear",
        TRAINED_BETAS, null, PREDICTION_TYPE, "epsilon", TIMESTEP_SPACING, "linspace", STEPS_OFFSET, 0,
        "rescale_betas_zero_snr", false));
    out.put(DPM_SOLVER_MULTISTEP, keys(
        NUM_TRAIN_TIMESTEPS, 1000, BETA_START, 0.0001, BETA_END, 0.02, BETA_SCHEDULE, "linear",
        TRAINED_BETAS, null, SOLVER_ORDER, 2, PREDICTION_TYPE, "epsilon", "thresholding", false,
        "dynamic_thresholding_ratio", 0.995, "sample_max_value", 1.0, "algorithm_type", "dpmsolver++",
        "solver_type", "midpoint", LOWER_ORDER_FINAL, true, EULER_AT_FINAL, false, USE_KARRAS_SIGMAS, false,
        "use_exponential_sigmas", false, "use_beta_sigmas", false, "use_lu_lambdas", false,
        "use_flow_sigmas", false, "flow_shift", 1.0, FINAL_SIGMAS_TYPE, "zero",
        LAMBDA_MIN_CLIPPED, Double.NEGATIVE_INFINITY, "variance_type", null, TIMESTEP_SPACING, "linspace",
        STEPS_OFFSET, 0, "rescale_betas_zero_snr", false, USE_DYNAMIC_SHIFTING, false,
        TIME_SHIFT_TYPE, "exponential"));
    out.put(DDIM, keys(
        NUM_TRAIN_TIMESTEPS, 1000, BETA_START, 0.0001, BETA_END, 0.02, BETA_SCHEDULE, "linear",
        TRAINED_BETAS, null, CLIP_SAMPLE, true, SET_ALPHA_TO_ONE, true, STEPS_OFFSET, 0,
        PREDICTION_TYPE, "epsilon", "thresholding", false, "dynamic_thresholding_ratio", 0.995,
        CLIP_SAMPLE_RANGE, 1.0, "sample_max_value", 1.0, TIMESTEP_SPACING, "leading",
        "rescale_betas_zero_snr", false));
    out.put(LCM, keys(
        NUM_TRAIN_TIMESTEPS, 1000, BETA_START, 0.00085, BETA_END, 0.012, BETA_SCHEDULE, "scaled_linear",
        TRAINED_BETAS, null, ORIGINAL_INFERENCE_STEPS, 50, CLIP_SAMPLE, false, CLIP_SAMPLE_RANGE, 1.0,
        SET_ALPHA_TO_ONE, true, STEPS_OFFSET, 0, PREDICTION_TYPE, "epsilon", "thresholding", false,
        "dynamic_thresholding_ratio", 0.995, "sample_max_value", 1.0, TIMESTEP_SPACING, "leading",
        TIMESTEP_SCALING, 10.0, "rescale_betas_zero_snr", false));
    out.put(FLOW_MATCH_EULER, keys(
        NUM_TRAIN_TIMESTEPS, 1000, SHIFT, 1.0, USE_DYNAMIC_SHIFTING, false, BASE_SHIFT, 0.5, MAX_SHIFT, 1.15,
        BASE_IMAGE_SEQ_LEN, 256, MAX_IMAGE_SEQ_LEN, 4096, "invert_sigmas", false, "shift_terminal", null,
        USE_KARRAS_SIGMAS, false, "use_exponential_sigmas", false, "use_beta_sigmas", false,
        TIME_SHIFT_TYPE, "exponential", "stochastic_sampling", false));
    return Collections.unmodifiableMap(out);
  }

  private static Map<String, Object> keys(Object... pairs) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      out.put((String) pairs[i], pairs[i + 1]);
    }
    return Collections.unmodifiableMap(out);
  }
}
