/**
 * The live progress display for notebooks: ONE output that updates in place while long work
 * runs (training, neighbour searches), with a progress bar, the step and epoch, the running loss,
 * the rate, the time left, and a loss curve that grows, at most a few updates a second.
 * Importing the library installs it (see `core/progress.ts`); outside a tslab kernel, or with
 * CLASSIFIERS_LIVE=0 (set by the headless runner), progress stays plain lines.
 *
 * The final state is small (an inline SVG of at most 300 points and a few lines of HTML), so a
 * saved notebook does not grow with the number of updates.
 */
import { formatSeconds, setLiveProgress, type Progress, type ProgressInfo } from "../core/progress.js";
import { escapeHtmlText, newDisplayHandle, type DisplayHandle, type MimeBundle } from "./display.js";

/** Minimum milliseconds between two updates of a live display (progress meters, study figures). */
export const LIVE_UPDATE_EVERY_MS = 250;
/** Most loss points drawn (older points are merged two by two when the curve is full). */
const CURVE_POINTS = 300;

/** An inline SVG polyline of `values` (a loss curve), `width` × `height` pixels. */
export function sparklineSvg(values: readonly number[], width = 320, height = 60): string {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length < 2) return `<svg width="${width}" height="${height}"></svg>`;
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const span = hi - lo || 1;
  const points = values
    .map((v, i) => (Number.isFinite(v) ? `${((i / (values.length - 1)) * width).toFixed(1)},${(height - 2 - ((v - lo) / span) * (height - 4)).toFixed(1)}` : ""))
    .filter(Boolean)
    .join(" ");
  return (
    `<svg width="${width}" height="${height}" style="background:#fafafa;border:1px solid #ddd">` +
    `<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${points}"/>` +
    `<text x="4" y="12" font-size="10" fill="#666">${hi.toPrecision(3)}</text>` +
    `<text x="4" y="${height - 4}" font-size="10" fill="#666">${lo.toPrecision(3)}</text></svg>`
  );
}

/** The HTML of one state of the display. */
export function liveProgressHtml(state: {
  label: string;
  done: number;
  total: number;
  seconds: number;
  losses: readonly number[];
  info: ProgressInfo;
  finished: boolean;
  extra?: string;
}): string {
  const fraction = state.total > 0 ? Math.min(1, state.done / state.total) : 1;
  const rate = state.seconds > 0 ? state.done / state.seconds : 0;
  const left = rate > 0 ? (state.total - state.done) / rate : 0;
  const parts = [`${state.done}/${state.total}`];
  if (state.info.epoch !== undefined) parts.push(`epoch ${state.info.epoch}`);
  if (state.info.loss !== undefined) parts.push(`loss ${state.info.loss.toPrecision(4)}`);
  parts.push(`${rate >= 10 ? rate.toFixed(0) : rate.toFixed(1)}/s`);
  parts.push(state.finished ? `done in ${formatSeconds(state.seconds)}` : `${formatSeconds(state.seconds)} elapsed, ~${formatSeconds(left)} left`);
  const bar =
    `<div style="width:320px;height:10px;background:#eee;border-radius:3px;overflow:hidden">` +
    `<div style="width:${(100 * fraction).toFixed(1)}%;height:100%;background:${state.finished ? "#2ca02c" : "#1f77b4"}"></div></div>`;
  const lines = [
    `<b>${escapeHtmlText(state.label)}</b>`,
    bar,
    `<span style="font-family:monospace">${escapeHtmlText(parts.join(" · "))}</span>`,
  ];
  if (state.info.note) lines.push(`<span style="font-family:monospace">${escapeHtmlText(state.info.note)}</span>`);
  if (state.extra) lines.push(`<span style="font-family:monospace">${escapeHtmlText(state.extra)}</span>`);
  if (state.losses.length >= 2) lines.push(sparklineSvg(state.losses));
  return `<div class="classifiers-progress">${lines.join("<br>")}</div>`;
}

/** A live meter drawing into `handle` (tests pass their own handle). */
export function createLiveProgress(label: string, total: number, handle: DisplayHandle, now: () => number = () => performance.now()): Progress {
  const start = now();
  let last = -Infinity;
  let done = 0;
  let info: ProgressInfo = {};
  let losses: number[] = [];
  let stride = 1; // one curve point per `stride` losses, doubled when the curve is full
  let pending: number[] = [];
  const render = (finished: boolean, extra?: string): void => {
    const seconds = (now() - start) / 1000;
    const html = liveProgressHtml({ label, done, total, seconds, losses, info, finished, extra });
    const text = `${label}: ${done}/${total}${info.loss !== undefined ? `, loss ${info.loss.toPrecision(4)}` : ""}${finished ? `, done in ${formatSeconds(seconds)}` : ""}`;
    const bundle: MimeBundle = { data: { "text/html": html, "text/plain": text }, metadata: {} };
    handle.update(bundle);
  };
  return {
    live: true,
    tick(steps = 1, update) {
      done += steps;
      if (update) info = { ...info, ...update };
      if (update?.loss !== undefined && Number.isFinite(update.loss)) {
        pending.push(update.loss);
        if (pending.length >= stride) {
          losses.push(pending.reduce((a, b) => a + b, 0) / pending.length);
          pending = [];
          if (losses.length >= CURVE_POINTS) {
            losses = losses.filter((_, i) => i % 2 === 0).map((v, i) => (v + (losses[2 * i + 1] ?? v)) / 2);
            stride *= 2;
          }
        }
      }
      const t = now();
      if (t - last >= LIVE_UPDATE_EVERY_MS) {
        last = t;
        render(false);
      }
    },
    done(extra) {
      render(true, extra);
      return (now() - start) / 1000;
    },
  };
}

// Inside a kernel, progress() and the training loop use this display.
setLiveProgress((label, total) => {
  const handle = newDisplayHandle();
  return handle ? createLiveProgress(label, total, handle) : undefined;
});
