/**
 * A study figure that fills in while trials finish: pass `liveStudyView(...)` as `runStudy`'s
 * `onTrial` and one notebook output is redrawn in place (at most a few times a second, and always
 * for the last trial). Headless (CLASSIFIERS_LIVE=0) and outside a kernel, the figure is drawn
 * once, when the study ends; outside a kernel nothing is drawn.
 */
import { LIVE_ENV_VAR } from "../core/progress.js";
import type { TrialRecord } from "../tune/store.js";
import type { Figure } from "../viz/figure.js";
import { figureMimeBundle, newDisplayHandle, type DisplayHandle } from "./display.js";
import { LIVE_UPDATE_EVERY_MS } from "./live.js";

export interface LiveStudyOptions {
  /** Minimum time between redraws (default LIVE_UPDATE_EVERY_MS, 250 ms, as the progress meter). */
  minIntervalMs?: number;
  /** Where to draw (default: a new display in the running notebook cell). */
  handle?: DisplayHandle;
  /** Clock in ms (tests pass a fake one). */
  now?: () => number;
}

/**
 * `draw(trials, done, total)` makes the figure from the trials finished so far (in the order they
 * finished); the returned function is the `onTrial` callback of `runStudy`.
 */
export function liveStudyView(
  draw: (trials: readonly TrialRecord[], done: number, total: number) => Figure,
  options: LiveStudyOptions = {},
): (record: TrialRecord, done: number, total: number) => void {
  const handle = options.handle ?? newDisplayHandle();
  const now = options.now ?? (() => performance.now());
  const interval = options.minIntervalMs ?? LIVE_UPDATE_EVERY_MS;
  const live = process.env[LIVE_ENV_VAR] !== "0";
  const trials: TrialRecord[] = [];
  let last = -Infinity;
  return (record, done, total) => {
    trials.push(record);
    if (!handle) return;
    const finished = done >= total;
    const t = now();
    if (finished || (live && t - last >= interval)) {
      last = t;
      handle.update(figureMimeBundle(draw(trials, done, total)));
    }
  };
}
