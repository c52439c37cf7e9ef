/**
 * Search spaces for hyperparameters, and the two classic ways to pick configurations from them:
 * a grid (every combination) and seeded random search. Rates and strengths are searched on a log
 * scale (`logUniform`): 1e-4 and 1e-3 are as different as 1e-2 and 1e-1.
 */
import { createRng } from "../core/random.js";
import { checkKnownOptions, describeValue, InvalidInputError } from "../core/checks.js";

export type ParamValue = number | string | boolean;

/** One hyperparameter's range. */
export type ParamSpace =
  | { kind: "fixed"; value: ParamValue }
  | { kind: "choice"; values: readonly ParamValue[] }
  | { kind: "uniform"; low: number; high: number }
  | { kind: "logUniform"; low: number; high: number }
  | { kind: "int"; low: number; high: number };

/** Named hyperparameter ranges, e.g. `{ learningRate: logUniform(1e-3, 1), reg: logUniform(1e-5, 1e-1) }`. */
export type SearchSpace = Record<string, ParamSpace>;

/** One configuration: a value per hyperparameter. */
export type Config = Record<string, ParamValue>;

export const fixed = (value: ParamValue): ParamSpace => ({ kind: "fixed", value });
export const choice = (...values: ParamValue[]): ParamSpace => ({ kind: "choice", values });
export const uniform = (low: number, high: number): ParamSpace => ({ kind: "uniform", low, high });
export const logUniform = (low: number, high: number): ParamSpace => ({ kind: "logUniform", low, high });
/** Integers low..high, both included. */
export const intRange = (low: number, high: number): ParamSpace => ({ kind: "int", low, high });

/**
 * The most configurations a study may have. Each is kept in memory (and in the store) before the
 * first trial runs, and at seconds per trial 100,000 is already weeks of work; more is a mistake
 * (a typo in `trials`, too many grid points), caught before memory runs out.
 */
export const MAX_CONFIGS = 100_000;

/** The fields each kind of range takes. */
const RANGE_FIELDS: Readonly<Record<ParamSpace["kind"], readonly string[]>> = {
  fixed: ["kind", "value"],
  choice: ["kind", "values"],
  uniform: ["kind", "low", "high"],
  logUniform: ["kind", "low", "high"],
  int: ["kind", "low", "high"],
};

const isParamValue = (v: unknown): v is ParamValue => (typeof v === "number" && Number.isFinite(v)) || typeof v === "string" || typeof v === "boolean";

/** Throws, naming the hyperparameter, unless every range is usable. */
export function checkSpace(space: SearchSpace): void {
  if (typeof space !== "object" || space === null || Array.isArray(space) || Object.keys(space).length === 0) {
    throw new InvalidInputError("space", `a search space needs at least one hyperparameter, got ${describeValue(space)}`);
  }
  for (const [name, p] of Object.entries(space)) {
    const fail = (why: string): never => {
      throw new InvalidInputError(name, `hyperparameter ${name}: ${why}`);
    };
    if (p && Object.prototype.hasOwnProperty.call(RANGE_FIELDS, p.kind)) {
      try {
        checkKnownOptions(p, RANGE_FIELDS[p.kind], `a ${p.kind} range`);
      } catch (err) {
        fail((err as Error).message);
      }
    }
    switch (p?.kind) {
      case "fixed":
        if (!isParamValue(p.value)) fail(`a fixed range needs a "value" (a finite number, a string or true/false), got ${describeValue(p.value)}`);
        break;
      case "choice": {
        if (!Array.isArray(p.values) || p.values.length === 0) fail("choice needs at least one value");
        const bad = p.values.findIndex((v) => !isParamValue(v));
        if (bad >= 0) fail(`choice value ${bad} must be a finite number, a string or true/false, got ${describeValue(p.values[bad])}`);
        break;
      }
      case "uniform":
      case "logUniform":
      case "int":
        if (!Number.isFinite(p.low) || !Number.isFinite(p.high)) fail(`range ${p.low}..${p.high} must be finite numbers`);
        if (!(p.low <= p.high)) fail(`empty range ${p.low}..${p.high} (low must not exceed high)`);
        if (p.kind === "logUniform" && p.low <= 0) fail(`a log scale needs a positive range, got ${p.low}..${p.high}`);
        if (p.kind === "int" && (!Number.isInteger(p.low) || !Number.isInteger(p.high))) fail(`an integer range needs integer ends, got ${p.low}..${p.high}`);
        break;
      default:
        fail(`unknown kind ${describeValue((p as { kind?: unknown } | undefined)?.kind)}; use fixed, choice, uniform, logUniform or int`);
    }
  }
}

/** The values a grid takes along one axis: evenly spaced (on a log scale for logUniform). */
function axisValues(p: ParamSpace, points: number): ParamValue[] {
  switch (p.kind) {
    case "fixed":
      return [p.value];
    case "choice":
      return [...p.values];
    case "int": {
      const count = Math.min(points, p.high - p.low + 1);
      return Array.from(new Set(Array.from({ length: count }, (_, i) => Math.round(p.low + (count === 1 ? 0 : (i * (p.high - p.low)) / (count - 1))))));
    }
    case "uniform":
      return Array.from({ length: points }, (_, i) => (points === 1 ? p.low : p.low + (i * (p.high - p.low)) / (points - 1)));
    case "logUniform": {
      const [a, b] = [Math.log10(p.low), Math.log10(p.high)];
      // Rounded to 12 significant digits, so 10^-4 is 0.0001, not 0.00009999999999999999.
      return Array.from({ length: points }, (_, i) => Number((10 ** (points === 1 ? a : a + (i * (b - a)) / (points - 1))).toPrecision(12)));
    }
  }
}

/** How many configurations `gridConfigs(space, pointsPerAxis)` gives; throws above MAX_CONFIGS, before any is made. */
export function gridSize(space: SearchSpace, pointsPerAxis = 3): number {
  checkSpace(space);
  if (!Number.isInteger(pointsPerAxis) || pointsPerAxis < 1) throw new InvalidInputError("pointsPerAxis", `pointsPerAxis must be a positive integer, got ${describeValue(pointsPerAxis)}`);
  const sizes = Object.values(space).map((p) => (p.kind === "int" ? Math.min(pointsPerAxis, p.high - p.low + 1) : p.kind === "fixed" ? 1 : p.kind === "choice" ? p.values.length : pointsPerAxis));
  const size = sizes.reduce((a, b) => a * b, 1);
  if (size > MAX_CONFIGS) {
    throw new InvalidInputError("pointsPerAxis", `a grid of ${sizes.join(" × ")} = ${size.toLocaleString("en-US")} configurations is more than a study can hold (at most ${MAX_CONFIGS.toLocaleString("en-US")}); use fewer points per axis or random search`);
  }
  return size;
}

/**
 * Every combination of the axes' values (the last hyperparameter varies fastest). Continuous
 * ranges contribute `pointsPerAxis` values each (default 3).
 */
export function gridConfigs(space: SearchSpace, pointsPerAxis = 3): Config[] {
  gridSize(space, pointsPerAxis);
  let configs: Config[] = [{}];
  for (const [name, p] of Object.entries(space)) {
    const values = axisValues(p, pointsPerAxis);
    configs = configs.flatMap((c) => values.map((v) => ({ ...c, [name]: v })));
  }
  return configs;
}

/** `count` configurations drawn independently from the space, reproducibly from `seed`. */
export function randomConfigs(space: SearchSpace, count: number, seed = 0): Config[] {
  checkSpace(space);
  if (!Number.isInteger(count) || count < 0) throw new InvalidInputError("count", `count must be a non-negative integer, got ${describeValue(count)}`);
  if (count > MAX_CONFIGS) throw new InvalidInputError("count", `${count.toLocaleString("en-US")} configurations are more than a study can hold (at most ${MAX_CONFIGS.toLocaleString("en-US")})`);
  // BEGIN SOLUTION random-search (2 pts)
  const rng = createRng(seed);
  return Array.from({ length: count }, () => {
    const config: Config = {};
    for (const [name, p] of Object.entries(space)) {
      switch (p.kind) {
        case "fixed":
          config[name] = p.value;
          break;
        case "choice":
          config[name] = p.values[Math.floor(rng.next() * p.values.length)]!;
          break;
        case "uniform":
          config[name] = p.low + rng.next() * (p.high - p.low);
          break;
        case "logUniform":
          config[name] = 10 ** (Math.log10(p.low) + rng.next() * (Math.log10(p.high) - Math.log10(p.low)));
          break;
        case "int":
          config[name] = p.low + Math.floor(rng.next() * (p.high - p.low + 1));
          break;
      }
    }
    return config;
  });
  // END SOLUTION
}
