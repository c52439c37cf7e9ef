/**
 * An optimiser's settings are checked where they are given, each against its range, so that a
 * NaN momentum or a β₂ of 1 fails at once with the setting named, instead of ending many steps
 * later in NaN weights or in a divergence that seems to blame the learning rate.
 */
import { checkKnownOptions, checkOneOf, describeValue, InvalidInputError } from "../core/checks.js";

/** The ranges settings live in: a decay or momentum factor in [0, 1), or a positive ε. */
export type SettingRange = "[0, 1)" | "> 0";

/**
 * Throws an `InvalidInputError` for an unknown setting (with the closest known name) or a value
 * outside its range, naming the optimiser, the setting, the range and the value.
 */
export function checkOptimizerSettings(
  optimizer: string,
  options: object | undefined,
  ranges: Readonly<Record<string, SettingRange>>,
  otherSettings: readonly string[] = [],
): void {
  checkKnownOptions(options, [...Object.keys(ranges), ...otherSettings], `${optimizer} settings`);
  if (options === undefined) return;
  for (const [name, range] of Object.entries(ranges)) {
    const value: unknown = (options as Record<string, unknown>)[name];
    if (value === undefined) continue;
    const ok = typeof value === "number" && Number.isFinite(value) && (range === "> 0" ? value > 0 : value >= 0 && value < 1);
    if (!ok) {
      const wanted = range === "> 0" ? "a number > 0" : "a number in [0, 1)";
      throw new InvalidInputError(name, `${optimizer}: ${name} must be ${wanted}, got ${describeValue(value)}`);
    }
  }
}

/** Momentum's two forms (see optimizers.ts). */
export const MOMENTUM_FORMS = ["velocity", "lr-in-velocity"] as const;

/** Throws unless `form` is undefined or one of {@link MOMENTUM_FORMS}. */
export function checkFormOption(form: unknown): void {
  if (form !== undefined) checkOneOf(form, MOMENTUM_FORMS, "form");
}
