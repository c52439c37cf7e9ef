/**
 * Notebook run settings. `CLASSIFIERS_SMOKE=1` (set by `npm run notebooks -- --smoke` and by CI)
 * asks notebooks to use small subsets so a headless run of every notebook stays fast; the
 * default is the full default dataset.
 */
export const SMOKE_ENV_VAR = "CLASSIFIERS_SMOKE";

/** True when notebooks should run on small subsets. */
export function smokeMode(): boolean {
  const v = process.env[SMOKE_ENV_VAR];
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

/** `full` normally, `smoke` in smoke mode: `const nTrain = bySize(8000, 1000)`. */
export function bySize<T>(full: T, smoke: T): T {
  return smokeMode() ? smoke : full;
}
