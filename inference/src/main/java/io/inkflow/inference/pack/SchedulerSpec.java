package io.inkflow.inference.pack;

/**
 * Sampler settings of a pack and the ranges a request may ask for.
 *
 * @param type the sampler, {@code flow-match-euler}
 * @param defaultSteps steps when a request names none
 * @param minSteps smallest accepted step count
 * @param maxSteps largest accepted step count
 * @param shift timestep shift: sigma' = shift * sigma / (1 + (shift - 1) * sigma)
 * @param defaultGuidance classifier-free guidance scale when a request names none
 * @param minGuidance smallest accepted guidance scale
 * @param maxGuidance largest accepted guidance scale
 */
public record SchedulerSpec(String type, int defaultSteps, int minSteps, int maxSteps, double shift,
    double defaultGuidance, double minGuidance, double maxGuidance) {

  /** The only sampler type of the mmdit-flow family. */
  public static final String FLOW_MATCH_EULER = "flow-match-euler";

  static SchedulerSpec read(ManifestJson json) {
    String type = json.text("type");
    if (!type.equals(FLOW_MATCH_EULER)) {
      throw json.error("type", "expected '" + FLOW_MATCH_EULER + "', found '" + type + "'");
    }
    int min = json.positiveInt("minSteps");
    int max = json.positiveInt("maxSteps");
    int def = json.positiveInt("defaultSteps");
    if (min > max || def < min || def > max) {
      throw json.error("defaultSteps", "expected minSteps <= defaultSteps <= maxSteps, found "
          + min + " <= " + def + " <= " + max);
    }
    double shift = json.number("shift");
    if (!(shift > 0)) {
      throw json.error("shift", "expected a positive number, found " + shift);
    }
    double gMin = json.number("minGuidance");
    double gMax = json.number("maxGuidance");
    double gDef = json.number("defaultGuidance");
    if (!(gMin > 0 && gMin <= gDef && gDef <= gMax)) {
      throw json.error("defaultGuidance", "expected 0 < minGuidance <= defaultGuidance <= maxGuidance, found "
          + gMin + ", " + gDef + ", " + gMax);
    }
    return new SchedulerSpec(type, def, min, max, shift, gDef, gMin, gMax);
  }
}
