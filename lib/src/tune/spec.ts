/**
 * A study as plain JSON: which objective (by name), which data, budgets, the search space, and
 * how configurations are picked. Because it is data, not functions, a worker process or another
 * machine rebuilds exactly the same study from it (`objectiveFromSpec`, `studyConfigs`). Every
 * mistake in a spec is found by `parseStudySpec` before any trial runs, and the message names it.
 */
import { checkKnownOptions, closestName, describeValue, InvalidInputError } from "../core/checks.js";
import type { Examples } from "../core/types.js";
import { loadDataset, subtractTrainMean, unknownDatasetReason, type DatasetName } from "../data/index.js";
import { OPTIMIZER_NAMES } from "../optim/optimizers.js";
import { linearObjective, networkObjective } from "./objectives.js";
import { checkSpace, gridConfigs, gridSize, MAX_CONFIGS, randomConfigs, type Config, type ParamSpace, type ParamValue, type SearchSpace } from "./space.js";
import type { Objective } from "./study.js";

/** Which data a study trains and validates on; the validation rows are carved out of the training split. */
export interface StudyDataSpec {
  name: DatasetName;
  /** Training examples (validation excluded). */
  train: number;
  validation: number;
  /** Seed of the split and subsets (default 0). */
  seed?: number;
  /** Subtract the training mean image from every split (default true). */
  subtractMean?: boolean;
}

/** Limits of one trial, used where the configuration does not set them. */
export interface StudyBudget {
  /** Passes over the training data (the iteration budget). */
  epochs?: number;
  batchSize?: number;
}

export type SearchSpec = { kind: "grid"; pointsPerAxis?: number } | { kind: "random"; trials: number; seed?: number };

export interface StudySpec {
  /** Names the study: the PostgreSQL key and the default folder (build/studies/NAME). */
  name: string;
  /** A registered objective: "linear", "network", or one added with `registerObjective`. */
  objective: string;
  data: StudyDataSpec;
  budget?: StudyBudget;
  space: SearchSpace;
  search: SearchSpec;
  /** Seed of weight initialisation and batch order in every trial (default 1). */
  seed?: number;
}

/** How a named objective is built from a spec, and which hyperparameters it understands. */
export interface ObjectiveFactory {
  /** Every hyperparameter the objective reads; a space naming another is a config error. */
  hyperparameters: readonly string[];
  /** Hyperparameters the space must have. */
  required?: readonly string[];
  /** Allowed values of categorical hyperparameters. */
  values?: Readonly<Record<string, readonly ParamValue[]>>;
  /** Limits of numeric hyperparameters, checked against every value a range can give. */
  bounds?: Readonly<Record<string, ParamBounds>>;
  /** Loads what it needs (data) and returns the objective. Runs once per process. */
  create(spec: StudySpec): Promise<Objective>;
}

/** The values a numeric hyperparameter may take: above `min` (or at it, unless `exclusive`), whole numbers if `integer`. */
export interface ParamBounds {
  min: number;
  exclusive?: boolean;
  integer?: boolean;
}

/** The limits the built-in objectives share: positive rates, non-negative strengths, whole counts. */
const COMMON_BOUNDS: Readonly<Record<string, ParamBounds>> = {
  learningRate: { min: 0, exclusive: true },
  reg: { min: 0 },
  epochs: { min: 1, integer: true },
  batchSize: { min: 1, integer: true },
  hidden: { min: 1, integer: true },
};

/** The validation and training data of a spec, loaded and preprocessed deterministically. */
export async function loadStudyData(spec: StudySpec): Promise<{ train: Examples; validation: Examples; numClasses: number }> {
  const d = spec.data;
  const raw = await loadDataset(d.name, { nTrain: d.train + d.validation, nTest: 1, validation: d.validation, seed: d.seed ?? 0 });
  const dataset = d.subtractMean === false ? raw : subtractTrainMean(raw).dataset;
  return { train: dataset.train, validation: dataset.validation!, numClasses: dataset.classNames.length };
}

const registry = new Map<string, ObjectiveFactory>([
  [
    "linear",
    {
      hyperparameters: ["learningRate", "reg", "loss", "epochs", "batchSize"],
      required: ["learningRate"],
      values: { loss: ["svm", "softmax"] },
      bounds: COMMON_BOUNDS,
      async create(spec) {
        const data = await loadStudyData(spec);
        return linearObjective({ ...data, epochs: spec.budget?.epochs, batchSize: spec.budget?.batchSize, seed: spec.seed ?? 1 });
      },
    },
  ],
  [
    "network",
    {
      hyperparameters: ["learningRate", "reg", "hidden", "batchSize", "optimizer", "schedule", "epochs"],
      required: ["learningRate"],
      values: { optimizer: OPTIMIZER_NAMES, schedule: ["constant", "cosine"] },
      bounds: COMMON_BOUNDS,
      async create(spec) {
        const data = await loadStudyData(spec);
        return networkObjective({ ...data, epochs: spec.budget?.epochs, batchSize: spec.budget?.batchSize, seed: spec.seed ?? 1 });
      },
    },
  ],
]);

/**
 * Makes an objective addressable by name, so a spec can use it. A worker process knows only
 * the objectives registered in it: register in a module every worker imports.
 */
export function registerObjective(name: string, factory: ObjectiveFactory): void {
  registry.set(name, factory);
}

/** The names of the registered objectives. */
export function objectiveNames(): string[] {
  return [...registry.keys()];
}

function factoryOf(name: string): ObjectiveFactory {
  const factory = registry.get(name);
  if (!factory) throw new InvalidInputError("objective", `unknown objective ${describeValue(name)}; use one of ${objectiveNames().join(", ")}`);
  return factory;
}

/** Builds the spec's objective in this process (loads its data). */
export async function objectiveFromSpec(spec: StudySpec): Promise<Objective> {
  return factoryOf(spec.objective).create(spec);
}

/** The study's configurations, in trial order: the same for every process that reads the spec. */
export function studyConfigs(spec: StudySpec): Config[] {
  return spec.search.kind === "grid" ? gridConfigs(spec.space, spec.search.pointsPerAxis ?? 3) : randomConfigs(spec.space, spec.search.trials, spec.search.seed ?? 0);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Checks a study spec (e.g. parsed from study.json) completely and returns it typed. Unknown
 * fields (with the nearest known name), unknown hyperparameters, empty ranges, log scales reaching
 * zero, values outside a hyperparameter's limits (a negative rate), negative budgets, more trials
 * than a study can hold, and unknown objectives or datasets each fail with an InvalidInputError
 * naming the field.
 */
export function parseStudySpec(value: unknown, source = "study config"): StudySpec {
  const fail = (field: string, why: string): never => {
    throw new InvalidInputError(field, `${source}: ${field}: ${why}`);
  };
  const positiveInt = (v: unknown, field: string, allowZero = false): number => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < (allowZero ? 0 : 1)) fail(field, `must be a ${allowZero ? "non-negative" : "positive"} integer, got ${describeValue(v)}`);
    return v as number;
  };
  // "study.json: search: unknown option 'trails'; did you mean 'trials'?"
  const onlyKeys = (v: Record<string, unknown>, field: string, keys: readonly string[]): void => {
    try {
      checkKnownOptions(v, keys, field ? `${source}: ${field}` : source);
    } catch (err) {
      throw new InvalidInputError(field || "(top level)", (err as Error).message);
    }
  };
  if (!isRecord(value)) return fail("(top level)", `expected a JSON object, got ${describeValue(value)}`);
  onlyKeys(value, "", ["name", "objective", "data", "budget", "space", "search", "seed"]);
  const { name, objective, data, budget, space, search, seed } = value;
  if (typeof name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) fail("name", `must be a name of letters, digits, ".", "_" or "-", got ${describeValue(name)}`);
  if (typeof objective !== "string") fail("objective", `must name an objective (${objectiveNames().join(", ")}), got ${describeValue(objective)}`);
  if (!registry.has(objective as string)) {
    const suggestion = closestName(objective as string, objectiveNames());
    fail("objective", `unknown objective ${describeValue(objective)}; ${suggestion ? `did you mean '${suggestion}'? ` : ""}use one of ${objectiveNames().join(", ")}`);
  }
  const factory = factoryOf(objective as string);

  if (!isRecord(data)) return fail("data", `expected {"name", "train", "validation"}, got ${describeValue(data)}`);
  onlyKeys(data, "data", ["name", "train", "validation", "seed", "subtractMean"]);
  const unknownDataset = unknownDatasetReason(data.name);
  if (unknownDataset !== undefined) fail("data.name", unknownDataset);
  positiveInt(data.train, "data.train");
  positiveInt(data.validation, "data.validation");
  if (data.seed !== undefined) positiveInt(data.seed, "data.seed", true);
  if (data.subtractMean !== undefined && typeof data.subtractMean !== "boolean") fail("data.subtractMean", `must be true or false, got ${describeValue(data.subtractMean)}`);

  if (budget !== undefined) {
    if (!isRecord(budget)) fail("budget", `expected {"epochs", "batchSize"}, got ${describeValue(budget)}`);
    onlyKeys(budget as Record<string, unknown>, "budget", ["epochs", "batchSize"]);
    for (const [k, v] of Object.entries(budget as Record<string, unknown>)) positiveInt(v, `budget.${k}`);
  }
  if (seed !== undefined) positiveInt(seed, "seed", true);

  if (!isRecord(space) || Object.keys(space).length === 0) return fail("space", `needs at least one hyperparameter, got ${describeValue(space)}`);
  for (const [param, range] of Object.entries(space)) {
    if (!factory.hyperparameters.includes(param)) {
      const suggestion = closestName(param, factory.hyperparameters);
      fail(`space.${param}`, `unknown hyperparameter '${param}' for the ${objective} objective; ${suggestion ? `did you mean '${suggestion}'?` : `it knows ${factory.hyperparameters.join(", ")}`}`);
    }
    if (!isRecord(range)) fail(`space.${param}`, `expected a range like {"kind": "logUniform", "low": 1e-4, "high": 1e-1}, got ${describeValue(range)}`);
    const allowed = factory.values?.[param];
    if (allowed) {
      const r = range as Partial<ParamSpace> & { values?: unknown[]; value?: unknown };
      for (const v of r.kind === "choice" ? (r.values ?? []) : r.kind === "fixed" ? [r.value] : []) {
        if (!allowed.includes(v as ParamValue)) fail(`space.${param}`, `value ${describeValue(v)} is not one of ${allowed.join(", ")}`);
      }
    }
  }
  for (const param of factory.required ?? []) if (!(param in space)) fail(`space.${param}`, `the ${objective} objective needs this hyperparameter`);
  try {
    checkSpace(space as SearchSpace);
  } catch (err) {
    if (err instanceof InvalidInputError) fail(`space.${err.argument}`, err.message);
    throw err;
  }
  for (const [param, range] of Object.entries(space as SearchSpace)) {
    const bounds = factory.bounds?.[param];
    if (bounds) checkBounds(range, bounds, (why) => fail(`space.${param}`, why));
  }

  if (!isRecord(search)) return fail("search", `expected {"kind": "grid"} or {"kind": "random", "trials": N}, got ${describeValue(search)}`);
  if (search.kind === "grid") {
    onlyKeys(search, "search", ["kind", "pointsPerAxis"]);
    if (search.pointsPerAxis !== undefined) positiveInt(search.pointsPerAxis, "search.pointsPerAxis");
    try {
      gridSize(space as SearchSpace, (search.pointsPerAxis as number | undefined) ?? 3);
    } catch (err) {
      if (err instanceof InvalidInputError) fail("search.pointsPerAxis", err.message);
      throw err;
    }
  } else if (search.kind === "random") {
    onlyKeys(search, "search", ["kind", "trials", "seed"]);
    positiveInt(search.trials, "search.trials");
    if ((search.trials as number) > MAX_CONFIGS) fail("search.trials", `${(search.trials as number).toLocaleString("en-US")} trials are more than a study can hold (at most ${MAX_CONFIGS.toLocaleString("en-US")})`);
    if (search.seed !== undefined) positiveInt(search.seed, "search.seed", true);
  } else {
    fail("search.kind", `must be "grid" or "random", got ${describeValue(search.kind)}`);
  }
  return value as unknown as StudySpec;
}

/** Fails unless every value the range can give is within the bounds (an integer hyperparameter needs an integer range). */
function checkBounds(range: ParamSpace, bounds: ParamBounds, fail: (why: string) => never): void {
  const limit = `${bounds.integer ? "a whole number " : "a number "}${bounds.exclusive ? "above" : "at least"} ${bounds.min}`;
  const check = (v: ParamValue, what: string): void => {
    if (typeof v !== "number" || v < bounds.min || (bounds.exclusive && v === bounds.min) || (bounds.integer && !Number.isInteger(v))) {
      fail(`${what} ${describeValue(v)} is out of range: it must be ${limit}`);
    }
  };
  switch (range.kind) {
    case "fixed":
      return check(range.value, "value");
    case "choice":
      return range.values.forEach((v) => check(v, "value"));
    case "uniform":
    case "logUniform":
      if (bounds.integer) fail(`takes whole numbers; use {"kind": "int", "low": …, "high": …} or "choice", not ${range.kind}`);
      check(range.low, "low");
      return check(range.high, "high");
    case "int":
      check(range.low, "low");
      return check(range.high, "high");
  }
}
