/**
 * Progress for long work. Outside a notebook: a plain line every few seconds (not every step),
 * so a script or a CI log shows that something is happening and roughly how long it will take.
 * Inside a notebook kernel, the notebook module installs a live display (one output updated in
 * place, with a progress bar and a loss curve) through `setLiveProgress`; core never imports it.
 */

/** What a step of work can report besides being done (training reports its loss). */
export interface ProgressInfo {
  /** Current loss (a live display draws these as a curve). */
  loss?: number;
  /** 1-based epoch. */
  epoch?: number;
  /** A short status, e.g. the last epoch's accuracies. */
  note?: string;
}

export interface Progress {
  /** Record `steps` more units of work done (default 1), optionally with what they measured. */
  tick(steps?: number, info?: ProgressInfo): void;
  /** Finish with the total time; returns elapsed seconds. */
  done(extra?: string): number;
  /** True when a live notebook display shows this progress (plain lines are then redundant). */
  readonly live: boolean;
}

export interface ProgressOptions {
  /** Minimum seconds between plain lines (default 2). */
  everySeconds?: number;
  /** Where plain lines go (default console.log). Pass `() => {}` to silence. */
  write?: (line: string) => void;
  /** Allow the live notebook display (default true). */
  live?: boolean;
}

/** Makes a live meter for `label` and `total` steps, or returns undefined (no kernel, or turned off). */
export type LiveProgressFactory = (label: string, total: number) => Progress | undefined;

let liveFactory: LiveProgressFactory | undefined;

/** Installs (or, with undefined, removes) the live display used inside notebook kernels. */
export function setLiveProgress(factory: LiveProgressFactory | undefined): void {
  liveFactory = factory;
}

/** Environment variable that turns the live display off (headless runs set it to 0). */
export const LIVE_ENV_VAR = "CLASSIFIERS_LIVE";

/** A live meter when a notebook kernel can show one (and CLASSIFIERS_LIVE is not 0), else undefined. */
export function liveProgress(label: string, total: number): Progress | undefined {
  if (process.env[LIVE_ENV_VAR] === "0") return undefined;
  return liveFactory?.(label, total);
}

const formatSeconds = (s: number): string => (s < 90 ? `${s.toFixed(s < 10 ? 1 : 0)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`);

/** Plain progress lines (or the live display in a notebook, unless `options.live` is false). */
export function progress(label: string, total: number, options: ProgressOptions = {}): Progress {
  if (options.live !== false && !options.write) {
    const live = liveProgress(label, total);
    if (live) return live;
  }
  const every = (options.everySeconds ?? 2) * 1000;
  const write = options.write ?? ((line: string) => console.log(line));
  const start = performance.now();
  let last = start;
  let done = 0;
  return {
    live: false,
    tick(steps = 1) {
      done += steps;
      const now = performance.now();
      if (now - last >= every && done < total) {
        last = now;
        const elapsed = (now - start) / 1000;
        const eta = (elapsed / done) * (total - done);
        write(`${label}: ${done}/${total} (${((100 * done) / total).toFixed(0)}%), ${elapsed.toFixed(1)} s, ~${eta.toFixed(0)} s left`);
      }
    },
    done(extra) {
      const elapsed = (performance.now() - start) / 1000;
      write(`${label}: ${total}/${total} in ${elapsed.toFixed(2)} s${extra ? `, ${extra}` : ""}`);
      return elapsed;
    },
  };
}

export { formatSeconds };
