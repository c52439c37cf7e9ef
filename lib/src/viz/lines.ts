/**
 * Line figures: any series against x, histograms, loss curves (raw and smoothed), accuracy against k.
 */
import { InvalidInputError } from "../core/checks.js";
import { axisTitle, classColor, titleOf, toNumbers } from "./common.js";
import type { Figure, FigureLayout, ScatterTrace, Trace } from "./figure.js";
import { smoothEma } from "./smoothing.js";
// ---------------------------------------------------------------------------------------------
// Line plots

export interface LineSeries {
  name: string;
  /** Values [n]; NaN / Infinity leave a gap. */
  y: ArrayLike<number>;
  /** x positions [n] (default 0..n−1). */
  x?: ArrayLike<number>;
  /** Error bar half-heights [n] (e.g. one standard deviation). */
  error?: ArrayLike<number>;
  mode?: "lines" | "markers" | "lines+markers";
  dash?: "solid" | "dot" | "dash" | "dashdot";
  color?: string;
  /** 0..1, for de-emphasised series such as raw noisy losses. */
  opacity?: number;
}

export interface LinePlotOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  logX?: boolean;
  logY?: boolean;
  yRange?: [number, number];
  height?: number;
  width?: number;
}

function nullIfNonFinite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

function lineTrace(series: LineSeries, index: number): ScatterTrace {
  const n = series.y.length;
  const y = Array.from(series.y, (v) => nullIfNonFinite(Number(v)));
  let x: number[];
  if (series.x === undefined) {
    x = Array.from({ length: n }, (_, i) => i);
  } else {
    if (series.x.length !== n) {
      throw new InvalidInputError("series", `series "${series.name}": x has ${series.x.length} values but y has ${n}.`);
    }
    x = toNumbers(series.x, `series "${series.name}" x`);
  }
  const color = series.color ?? classColor(index);
  const mode = series.mode ?? "lines";
  const trace: ScatterTrace = { type: "scatter", name: series.name, x, y, mode };
  if (mode !== "markers") trace.line = { color, width: 2, dash: series.dash ?? "solid" };
  if (mode !== "lines") trace.marker = { color, size: 6 };
  if (series.opacity !== undefined) trace.opacity = series.opacity;
  if (series.error !== undefined) {
    if (series.error.length !== n) {
      throw new InvalidInputError("series", `series "${series.name}": error has ${series.error.length} values but y has ${n}.`);
    }
    trace.error_y = { type: "data", array: toNumbers(series.error, `series "${series.name}" error`), visible: true, color, thickness: 1.5, width: 4 };
  }
  return trace;
}

function lineLayout(options: LinePlotOptions, showLegend: boolean): FigureLayout {
  const layout: FigureLayout = {
    ...titleOf(options.title),
    xaxis: { title: axisTitle(options.xLabel), type: options.logX ? "log" : "linear", automargin: true },
    yaxis: { title: axisTitle(options.yLabel), type: options.logY ? "log" : "linear", automargin: true },
    height: options.height ?? 400,
    margin: { l: 60, r: 20, t: options.title ? 50 : 20, b: 50 },
    showlegend: showLegend,
    hovermode: "closest",
  };
  if (options.width !== undefined) layout.width = options.width;
  if (options.yRange) layout.yaxis!.range = options.logY ? [Math.log10(options.yRange[0]), Math.log10(options.yRange[1])] : options.yRange;
  return layout;
}

/** Bin counts of `values` over [lo, hi] with `bins` equal-width bins; values outside fall in the end bins. */
export function histogramCounts(values: ArrayLike<number>, bins: number, [lo, hi]: [number, number]): { centers: number[]; counts: number[] } {
  if (!Number.isInteger(bins) || bins < 1) throw new InvalidInputError("bins", `histogram needs a whole number of bins ≥ 1, got ${bins}.`);
  if (!(hi > lo)) throw new InvalidInputError("range", `histogram range must have hi > lo, got [${lo}, ${hi}].`);
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (Number.isNaN(v)) throw new InvalidInputError("values", `histogram: value ${i} is NaN.`);
    counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)))]! += 1;
  }
  return { centers: counts.map((_, k) => lo + (k + 0.5) * width), counts };
}

export interface HistogramOptions extends LinePlotOptions {
  /** Number of bins (default 40). */
  bins?: number;
  /** Range binned; values beyond it are counted in the end bins (default: min..max over all series). */
  range?: [number, number];
}

/**
 * Histograms of several sets of values drawn as lines over shared bins, so distributions can be
 * compared in one picture (e.g. weights under L1 vs L2). With `logY`, empty bins are drawn at 0.5.
 */
export function histogramPlot(series: { name: string; values: ArrayLike<number> }[], options: HistogramOptions = {}): Figure {
  if (series.length === 0) throw new InvalidInputError("series", "histogramPlot needs at least one series.");
  let range = options.range;
  if (!range) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of series) for (let i = 0; i < s.values.length; i++) { lo = Math.min(lo, s.values[i]!); hi = Math.max(hi, s.values[i]!); }
    range = hi > lo ? [lo, hi] : [lo - 0.5, lo + 0.5];
  }
  const bins = options.bins ?? 40;
  const lines: LineSeries[] = series.map((s) => {
    const { centers, counts } = histogramCounts(s.values, bins, range!);
    return { name: s.name, x: centers, y: options.logY ? counts.map((c) => Math.max(c, 0.5)) : counts, mode: "lines+markers" };
  });
  return linePlot(lines, { yLabel: "count", ...options });
}

/** Line plot of one or more named series (each its own colour, optional error bars). */
export function linePlot(series: LineSeries | LineSeries[], options: LinePlotOptions = {}): Figure {
  const list = Array.isArray(series) ? series : [series];
  if (list.length === 0) throw new InvalidInputError("series", "linePlot needs at least one series.");
  return {
    data: list.map(lineTrace),
    layout: lineLayout(options, list.length > 1),
    config: { responsive: true, displaylogo: false },
  };
}

export interface LossCurve {
  name: string;
  /** Loss per iteration (or per epoch) [n]. */
  values: ArrayLike<number>;
  /** Iteration numbers [n] (default 0..n−1). */
  x?: ArrayLike<number>;
}

export interface LossCurveOptions extends LinePlotOptions {
  /** EMA weight for the smoothed line, in [0, 1) (default 0.9; see `smoothEma`). */
  smoothing?: number;
  /** Draw the raw values faintly behind the smoothed line (default true). */
  showRaw?: boolean;
}

/**
 * Loss curves: each run's raw values drawn faintly and its EMA-smoothed values solid, in the
 * same colour. Pass one array for a single run or several named runs to compare.
 */
export function lossCurvePlot(losses: ArrayLike<number> | LossCurve[], options: LossCurveOptions = {}): Figure {
  const runs: LossCurve[] = Array.isArray(losses) && losses.length > 0 && typeof losses[0] === "object"
    ? (losses as LossCurve[])
    : [{ name: "loss", values: losses as ArrayLike<number> }];
  const smoothing = options.smoothing ?? 0.9;
  const showRaw = options.showRaw ?? true;
  const data: Trace[] = [];
  runs.forEach((run, i) => {
    const color = classColor(i);
    const base = { x: run.x, color };
    if (showRaw) {
      const raw = lineTrace({ ...base, name: `${run.name} (raw)`, y: run.values, opacity: 0.3 }, i);
      raw.legendgroup = run.name;
      raw.showlegend = false;
      raw.line = { color, width: 1 };
      data.push(raw);
    }
    const smooth = lineTrace({ ...base, name: runs.length > 1 ? run.name : `${run.name} (smoothed)`, y: smoothEma(run.values, smoothing) }, i);
    smooth.legendgroup = run.name;
    data.push(smooth);
  });
  return {
    data,
    layout: lineLayout({ xLabel: "iteration", yLabel: "loss", ...options }, runs.length > 1),
    config: { responsive: true, displaylogo: false },
  };
}

/** Cross-validation accuracies at one hyperparameter value. */
export interface AccuracyAtK {
  k: number;
  /** One accuracy per fold. */
  accuracies: ArrayLike<number>;
}

export interface AccuracyVsKSeries {
  name?: string;
  points: AccuracyAtK[];
}

export interface AccuracyVsKOptions extends LinePlotOptions {
  /** Draw each fold's accuracy as a small dot (default true). */
  showFolds?: boolean;
}

/** Mean and population standard deviation, as numpy's mean/std. */
function meanStd(values: ArrayLike<number>, what: string): { mean: number; std: number } {
  const v = toNumbers(values, what);
  if (v.length === 0) throw new InvalidInputError("values", `${what} is empty.`);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  return { mean, std: Math.sqrt(variance) };
}

/**
 * Accuracy vs k (or any hyperparameter): mean over folds with ±1 standard deviation error
 * bars, plus each fold's accuracy as a dot. Several series (e.g. L1 vs L2 distance) overlay.
 */
export function accuracyVsKPlot(series: AccuracyVsKSeries | AccuracyVsKSeries[], options: AccuracyVsKOptions = {}): Figure {
  const list = Array.isArray(series) ? series : [series];
  const showFolds = options.showFolds ?? true;
  const data: Trace[] = [];
  list.forEach((s, i) => {
    const name = s.name ?? "mean accuracy";
    const points = [...s.points].sort((a, b) => a.k - b.k);
    const stats = points.map((p) => meanStd(p.accuracies, `accuracies at k=${p.k}`));
    const color = classColor(i);
    if (showFolds) {
      const x: number[] = [];
      const y: number[] = [];
      for (const p of points) for (const a of Array.from(p.accuracies)) { x.push(p.k); y.push(a); }
      data.push({ type: "scatter", mode: "markers", name: `${name} (folds)`, x, y, legendgroup: name, showlegend: false,
        marker: { color, size: 5 }, opacity: 0.4, hovertemplate: "k=%{x}<br>fold accuracy %{y:.4f}<extra></extra>" });
    }
    const trace = lineTrace({ name, x: points.map((p) => p.k), y: stats.map((t) => t.mean), error: stats.map((t) => t.std), mode: "lines+markers", color }, i);
    trace.legendgroup = name;
    trace.hovertemplate = "k=%{x}<br>mean accuracy %{y:.4f} ± %{error_y.array:.4f}<extra></extra>";
    data.push(trace);
  });
  return {
    data,
    layout: lineLayout({ title: "Cross-validation accuracy", xLabel: "k", yLabel: "accuracy", ...options }, list.length > 1),
    config: { responsive: true, displaylogo: false },
  };
}
