/**
 * Figures: builders that turn numbers (loss curves, accuracies, confusion matrices, images,
 * toy 2-D data) into Plotly figure specs. A figure is plain JSON `{data, layout, config}`;
 * `show(fig)` in display.ts draws it inline in a notebook. Nothing here touches the DOM.
 *
 * Image grids are composed into ONE PNG (a data URI shown by a single Plotly `image` trace):
 * a 10×10 grid of 28×28 images is a few tens of kilobytes, and Plotly draws a source image
 * with `image-rendering: pixelated`, so pixels stay crisp when scaled up.
 */
import { deflateSync } from "node:zlib";
import { sampleWithoutReplacement } from "../core/random.js";
import type { Examples } from "../core/types.js";

// ---------------------------------------------------------------------------------------------
// Figure types: the small part of Plotly's schema the builders use. Each interface also
// accepts any other Plotly attribute, so a notebook can tweak a figure before showing it.

/** A Plotly colour scale: a named scale ("Blues", "RdBu") or [fraction, colour] stops. */
export type ColorScale = string | [number, string][];

export interface ScatterTrace {
  type: "scatter";
  x: (number | null)[];
  y: (number | null)[];
  name?: string;
  mode?: "lines" | "markers" | "lines+markers" | "text" | "markers+text";
  line?: { color?: string; width?: number; dash?: "solid" | "dot" | "dash" | "dashdot" };
  marker?: { color?: string | number[]; size?: number; symbol?: string; line?: { color?: string; width?: number } };
  error_y?: { type: "data"; array: number[]; visible: boolean; thickness?: number; width?: number; color?: string };
  opacity?: number;
  showlegend?: boolean;
  legendgroup?: string;
  hovertemplate?: string;
  hoverinfo?: string;
  text?: string[];
  [attribute: string]: unknown;
}

export interface HeatmapTrace {
  type: "heatmap";
  /** Rows of values, z[row][col]; row 0 is drawn at y[0]. */
  z: (number | null)[][];
  x?: (number | string)[];
  y?: (number | string)[];
  colorscale?: ColorScale;
  zmin?: number;
  zmax?: number;
  showscale?: boolean;
  zsmooth?: false | "fast" | "best";
  hovertemplate?: string;
  hoverinfo?: string;
  customdata?: (number | string)[][];
  colorbar?: Record<string, unknown>;
  [attribute: string]: unknown;
}

export interface ImageTrace {
  type: "image";
  /** "data:image/png;base64,..." */
  source: string;
  x0?: number;
  y0?: number;
  dx?: number;
  dy?: number;
  hoverinfo?: string;
  [attribute: string]: unknown;
}

export interface BarTrace {
  type: "bar";
  x: (number | string)[];
  y: number[];
  name?: string;
  marker?: { color?: string | string[] };
  text?: string[];
  textposition?: "inside" | "outside" | "auto" | "none";
  hovertemplate?: string;
  [attribute: string]: unknown;
}

export type Trace = ScatterTrace | HeatmapTrace | ImageTrace | BarTrace;

export interface AxisLayout {
  title?: { text: string };
  type?: "linear" | "log" | "category";
  range?: [number, number];
  autorange?: boolean | "reversed";
  tickvals?: number[];
  ticktext?: string[];
  showgrid?: boolean;
  zeroline?: boolean;
  visible?: boolean;
  showticklabels?: boolean;
  ticks?: "" | "inside" | "outside";
  side?: "top" | "bottom" | "left" | "right";
  scaleanchor?: string;
  scaleratio?: number;
  constrain?: "range" | "domain";
  automargin?: boolean;
  dtick?: number;
  [attribute: string]: unknown;
}

export interface Annotation {
  text: string;
  x: number | string;
  y: number | string;
  xref?: string;
  yref?: string;
  showarrow?: boolean;
  xanchor?: "auto" | "left" | "center" | "right";
  yanchor?: "auto" | "top" | "middle" | "bottom";
  font?: { size?: number; color?: string; family?: string };
  [attribute: string]: unknown;
}

export interface FigureLayout {
  title?: { text: string };
  xaxis?: AxisLayout;
  yaxis?: AxisLayout;
  width?: number;
  height?: number;
  margin?: { l?: number; r?: number; t?: number; b?: number; pad?: number };
  annotations?: Annotation[];
  showlegend?: boolean;
  legend?: Record<string, unknown>;
  hovermode?: false | "closest" | "x" | "y" | "x unified";
  barmode?: "group" | "stack" | "overlay";
  plot_bgcolor?: string;
  paper_bgcolor?: string;
  [attribute: string]: unknown;
}

export interface FigureConfig {
  responsive?: boolean;
  displaylogo?: boolean;
  displayModeBar?: boolean | "hover";
  staticPlot?: boolean;
  [option: string]: unknown;
}

/** A Plotly figure: traces, layout and plot config (all plain JSON). */
export interface Figure {
  data: Trace[];
  layout: FigureLayout;
  config?: FigureConfig;
}

// ColorBrewer Blues, light (low) to dark (high). Plotly's named "Blues" runs the other way.
const BLUES: [number, string][] = [
  [0, "#f7fbff"], [0.125, "#deebf7"], [0.25, "#c6dbef"], [0.375, "#9ecae1"], [0.5, "#6baed6"],
  [0.625, "#4292c6"], [0.75, "#2171b5"], [0.875, "#08519c"], [1, "#08306b"],
];

/** Plotly's default qualitative colours (d3 category10); class c is drawn in colour c % 10. */
export const PLOT_COLORS: readonly string[] = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
];

// ---------------------------------------------------------------------------------------------
// Small shared helpers

function toNumbers(values: ArrayLike<number>, what: string, allowNonFinite = false): number[] {
  const out = Array.from(values, Number);
  if (!allowNonFinite) {
    const bad = out.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`${what}[${bad}] is ${out[bad]}; expected a finite number.`);
  }
  return out;
}

function checkLabels(labels: ArrayLike<number>, numClasses: number, what: string): void {
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) {
      throw new Error(`${what}[${i}] = ${c} is not a class label in 0..${numClasses - 1}.`);
    }
  }
}

function axisTitle(text: string | undefined): { text: string } | undefined {
  return text === undefined ? undefined : { text };
}

function titleOf(text: string | undefined): { title?: { text: string } } {
  return text === undefined ? {} : { title: { text } };
}

function escapeText(text: string): string {
  // Plotly renders annotation and tick text as a small HTML subset: keep user text literal.
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function hexToRgb(hex: string): [number, number, number] {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`expected a colour like #1f77b4, got ${hex}`);
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
}

/** `hex` blended towards white: amount 0 keeps the colour, 1 gives white. */
function tint(hex: string, amount: number): string {
  const [r, g, b] = hexToRgb(hex).map((v) => Math.round(v + (255 - v) * amount)) as [number, number, number];
  return `rgb(${r},${g},${b})`;
}

function classColor(c: number): string {
  return PLOT_COLORS[c % PLOT_COLORS.length]!;
}

// ---------------------------------------------------------------------------------------------
// Smoothing

/**
 * Exponential moving average with bias correction (what TensorBoard's smoothing slider does):
 * s_t = weight·s_{t−1} + (1−weight)·x_t with s_0 = 0, reported as s_t / (1 − weight^t), so the
 * first points are not pulled towards zero. Non-finite values (a diverged loss) give NaN at
 * their position and do not disturb the average. `weight` in [0, 1); 0 returns the input.
 */
export function smoothEma(values: ArrayLike<number>, weight = 0.9): number[] {
  if (!(weight >= 0 && weight < 1)) throw new Error(`smoothing weight must be in [0, 1), got ${weight}`);
  const out = new Array<number>(values.length);
  let average = 0;
  let seen = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      out[i] = NaN;
      continue;
    }
    seen++;
    average = weight * average + (1 - weight) * v;
    out[i] = average / (1 - weight ** seen);
  }
  return out;
}

/**
 * Trailing moving average over `window` points: out[i] = mean(values[i−window+1 .. i]), using
 * the points available at the start. Non-finite values are left out of the means (NaN if a
 * window has none).
 */
export function smoothWindow(values: ArrayLike<number>, window: number): number[] {
  if (!Number.isInteger(window) || window < 1) throw new Error(`window must be a positive integer, got ${window}`);
  const out = new Array<number>(values.length);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) {
      sum += v;
      count++;
    }
    if (i >= window) {
      const old = values[i - window]!;
      if (Number.isFinite(old)) {
        sum -= old;
        count--;
      }
    }
    out[i] = count > 0 ? sum / count : NaN;
  }
  return out;
}

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
      throw new Error(`series "${series.name}": x has ${series.x.length} values but y has ${n}.`);
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
      throw new Error(`series "${series.name}": error has ${series.error.length} values but y has ${n}.`);
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
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`histogram needs a whole number of bins ≥ 1, got ${bins}.`);
  if (!(hi > lo)) throw new Error(`histogram range must have hi > lo, got [${lo}, ${hi}].`);
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (Number.isNaN(v)) throw new Error(`histogram: value ${i} is NaN.`);
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
  if (series.length === 0) throw new Error("histogramPlot needs at least one series.");
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
  if (list.length === 0) throw new Error("linePlot needs at least one series.");
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
  if (v.length === 0) throw new Error(`${what} is empty.`);
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

// ---------------------------------------------------------------------------------------------
// Confusion matrix

export interface ConfusionMatrixPlotOptions {
  title?: string;
  /**
   * Colour each cell by its fraction of the true class's row (recall), so errors in small
   * classes stay visible; cell text still shows counts. Default false (colour = count).
   */
  normalize?: boolean;
  /** Pixel size (default grows with the number of classes). */
  size?: number;
}

function matrixRows(matrix: ReadonlyArray<ArrayLike<number>> | ArrayLike<number>, c: number): number[][] {
  const first = (matrix as ArrayLike<unknown>)[0];
  if (typeof first === "number" || matrix.length === 0) {
    const flat = matrix as ArrayLike<number>;
    if (flat.length !== c * c) throw new Error(`confusion matrix has ${flat.length} values; expected ${c}×${c} = ${c * c} for ${c} classes.`);
    return Array.from({ length: c }, (_, i) => toNumbers(Array.prototype.slice.call(flat, i * c, (i + 1) * c) as number[], `confusion row ${i}`));
  }
  const rows = matrix as ReadonlyArray<ArrayLike<number>>;
  if (rows.length !== c || rows.some((r) => r.length !== c)) {
    throw new Error(`confusion matrix must be ${c}×${c} (one row and column per class), got ${rows.length} rows of lengths ${rows.map((r) => r.length).join(",")}.`);
  }
  return rows.map((r, i) => toNumbers(r, `confusion row ${i}`));
}

/**
 * Confusion-matrix heatmap: row = true class (top to bottom), column = predicted class,
 * each cell labelled with its count. `matrix` is [C, C] (rows) or flat row-major [C·C];
 * `classNames` gives C (default "0".."C−1" from a row-array matrix).
 */
export function confusionMatrixPlot(
  matrix: ReadonlyArray<ArrayLike<number>> | ArrayLike<number>,
  classNames?: readonly string[],
  options: ConfusionMatrixPlotOptions = {},
): Figure {
  const c = classNames?.length ?? ((matrix as ArrayLike<unknown>)[0] !== undefined && typeof (matrix as ArrayLike<unknown>)[0] !== "number"
    ? matrix.length
    : Math.round(Math.sqrt(matrix.length)));
  if (c < 1) throw new Error("confusion matrix is empty.");
  const names = classNames ? [...classNames] : Array.from({ length: c }, (_, i) => String(i));
  const counts = matrixRows(matrix, c);
  const rowTotals = counts.map((r) => r.reduce((a, b) => a + b, 0));
  const z = options.normalize ? counts.map((r, i) => r.map((v) => (rowTotals[i]! > 0 ? v / rowTotals[i]! : 0))) : counts;
  const zMax = Math.max(...z.flat(), options.normalize ? 1e-9 : 1);
  const annotations: Annotation[] = [];
  for (let i = 0; i < c; i++) {
    for (let j = 0; j < c; j++) {
      const dark = z[i]![j]! > zMax * 0.55;
      annotations.push({
        x: names[j]!, y: names[i]!, text: String(counts[i]![j]!), showarrow: false,
        font: { size: c > 15 ? 9 : 12, color: dark ? "white" : counts[i]![j] === 0 ? "#bbbbbb" : "#222222" },
      });
    }
  }
  const size = options.size ?? Math.min(760, 200 + 45 * c);
  const customdata = counts.map((r, i) => r.map((v) => (rowTotals[i]! > 0 ? v / rowTotals[i]! : 0)));
  return {
    data: [{
      type: "heatmap", z, x: names, y: names, colorscale: BLUES, zmin: 0, zmax: zMax, showscale: true,
      customdata,
      hovertemplate: "true %{y}, predicted %{x}<br>%{customdata:.1%} of true %{y}<extra></extra>",
      colorbar: { title: { text: options.normalize ? "fraction of row" : "count" } },
    }],
    layout: {
      ...titleOf(options.title ?? "Confusion matrix"),
      xaxis: { title: { text: "predicted" }, type: "category", side: "bottom", ticks: "", automargin: true },
      yaxis: { title: { text: "true" }, type: "category", autorange: "reversed", ticks: "", automargin: true },
      width: size + 80,
      height: size,
      margin: { l: 60, r: 20, t: 50, b: 50 },
      annotations,
    },
    config: { responsive: false, displaylogo: false },
  };
}

// ---------------------------------------------------------------------------------------------
// Image grids

/** How pixel values become colours. */
export type ImageColorScale = "gray" | "gray-inverted" | "diverging";

export interface ImageGridOptions {
  /** [height, width] of each image (default square: √D × √D). */
  imageShape?: [number, number];
  /** Tiles per row (default min(count, 10)). */
  columns?: number;
  /** One label per grid row, written left of the row (e.g. class names). */
  rowLabels?: readonly string[];
  /** One caption per image, written under its tile (e.g. "7 → 2"). */
  captions?: readonly (string | undefined)[];
  /** "gray": low = black, high = white; "gray-inverted": ink on paper; "diverging": blue < 0 < red. */
  colorScale?: ImageColorScale;
  /**
   * Value range mapped to the colour scale: "all" (default) = min..max over the grid
   * (symmetric ±max|v| for "diverging"); "each" = per image; or a fixed [low, high].
   */
  range?: "all" | "each" | [number, number];
  /** Screen pixels per image pixel (default 2, less when the grid would be wider than ~1100 px). */
  scale?: number;
  /** Blank image pixels between tiles (default 2). */
  gap?: number;
  title?: string;
}

/** An image grid composed into one RGB picture. */
export interface ComposedImageGrid {
  width: number;
  height: number;
  /** RGB bytes, row-major [height, width, 3]. */
  pixels: Uint8Array;
  rows: number;
  columns: number;
  /** Top-left pixel of each cell, in input order (index i = image i). */
  tiles: { row: number; column: number; left: number; top: number }[];
  /** Image pixels between the tops of consecutive rows. */
  rowPitch: number;
  /** Image pixels between the lefts of consecutive columns. */
  columnPitch: number;
  imageShape: [number, number];
}

/** Images as a flat [N, H·W] array, or one array per image (null = leave the cell blank). */
export type ImageGridInput = ArrayLike<number> | ReadonlyArray<ArrayLike<number> | null>;

// ColorBrewer RdBu (11 classes), reversed so negative = blue, zero = near white, positive = red.
const DIVERGING_STOPS: [number, number, number][] = [
  "#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7",
  "#fddbc7", "#f4a582", "#d6604d", "#b2182b", "#67001f",
].map(hexToRgb);

function colorAt(t: number, scale: ImageColorScale, out: Uint8Array, offset: number): void {
  const u = Math.min(1, Math.max(0, t));
  if (scale === "diverging") {
    const pos = u * (DIVERGING_STOPS.length - 1);
    const i = Math.min(DIVERGING_STOPS.length - 2, Math.floor(pos));
    const f = pos - i;
    const a = DIVERGING_STOPS[i]!;
    const b = DIVERGING_STOPS[i + 1]!;
    for (let k = 0; k < 3; k++) out[offset + k] = Math.round(a[k]! + (b[k]! - a[k]!) * f);
    return;
  }
  const g = Math.round(255 * (scale === "gray" ? u : 1 - u));
  out[offset] = g;
  out[offset + 1] = g;
  out[offset + 2] = g;
}

function splitImages(images: ImageGridInput, imageShape: [number, number] | undefined): { list: (ArrayLike<number> | null)[]; shape: [number, number] } {
  const first = (images as ArrayLike<unknown>)[0];
  const perImage = first !== undefined && typeof first !== "number";
  let shape = imageShape;
  if (!perImage) {
    const flat = images as ArrayLike<number>;
    if (!shape) throw new Error("a flat image array needs options.imageShape ([height, width]).");
    const d = shape[0] * shape[1];
    if (flat.length % d !== 0) throw new Error(`flat image array has ${flat.length} values, not a multiple of ${shape[0]}×${shape[1]} = ${d}.`);
    const list: ArrayLike<number>[] = [];
    for (let i = 0; i < flat.length / d; i++) list.push(sliceOf(flat, i * d, (i + 1) * d));
    return { list, shape };
  }
  const list = [...(images as ReadonlyArray<ArrayLike<number> | null>)];
  const sample = list.find((im) => im !== null);
  if (!shape) {
    if (!sample) throw new Error("image grid: every cell is empty and no imageShape was given.");
    const side = Math.round(Math.sqrt(sample.length));
    if (side * side !== sample.length) throw new Error(`images have ${sample.length} pixels, which is not square; pass options.imageShape.`);
    shape = [side, side];
  }
  const d = shape[0] * shape[1];
  list.forEach((im, i) => {
    if (im !== null && im.length !== d) throw new Error(`image ${i} has ${im.length} pixels; expected ${shape![0]}×${shape![1]} = ${d}.`);
  });
  return { list, shape };
}

function sliceOf(values: ArrayLike<number>, start: number, end: number): ArrayLike<number> {
  const maybe = values as ArrayLike<number> & { subarray?: (s: number, e: number) => ArrayLike<number> };
  if (typeof maybe.subarray === "function") return maybe.subarray(start, end);
  return Array.prototype.slice.call(values, start, end) as number[];
}

function valueRange(images: ArrayLike<number>[], scale: ImageColorScale): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const im of images) {
    for (let p = 0; p < im.length; p++) {
      const v = im[p]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!Number.isFinite(lo)) return [0, 1];
  if (scale === "diverging") {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    return [-m, m];
  }
  return hi > lo ? [lo, hi] : [lo - 0.5, hi + 0.5];
}

/**
 * Lays images out on a white canvas, `columns` per row, mapping values to colours. Pure:
 * no PNG encoding, so a test can check where each pixel went. `captionRows` blank image
 * pixels are left under each row (for captions).
 */
export function composeImageGrid(images: ImageGridInput, options: ImageGridOptions & { captionRows?: number } = {}): ComposedImageGrid {
  const { list, shape } = splitImages(images, options.imageShape);
  if (list.length === 0) throw new Error("image grid: no images.");
  const [h, w] = shape;
  const columns = options.columns ?? Math.min(list.length, 10);
  if (!Number.isInteger(columns) || columns < 1) throw new Error(`columns must be a positive integer, got ${columns}`);
  const rows = Math.ceil(list.length / columns);
  const gap = options.gap ?? 2;
  const captionRows = options.captionRows ?? 0;
  const colorScale = options.colorScale ?? "gray";
  const columnPitch = w + gap;
  const rowPitch = h + gap + captionRows;
  const width = columns * columnPitch - gap;
  const height = rows * rowPitch - gap;
  const pixels = new Uint8Array(width * height * 3).fill(255);
  list.forEach((im, i) => {
    if (im === null) return;
    for (let p = 0; p < im.length; p++) {
      if (!Number.isFinite(im[p]!)) throw new Error(`image ${i}, pixel ${p} is ${im[p]}; images must be finite.`);
    }
  });
  const present = list.filter((im): im is ArrayLike<number> => im !== null);
  const shared = Array.isArray(options.range) ? options.range : options.range === "each" ? undefined : valueRange(present, colorScale);
  if (shared && !(shared[1] > shared[0])) throw new Error(`range [${shared[0]}, ${shared[1]}] must have low < high.`);
  const tiles: ComposedImageGrid["tiles"] = [];
  list.forEach((im, i) => {
    const row = Math.floor(i / columns);
    const column = i % columns;
    const left = column * columnPitch;
    const top = row * rowPitch;
    tiles.push({ row, column, left, top });
    if (im === null) return;
    const [lo, hi] = shared ?? valueRange([im], colorScale);
    const span = hi - lo;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        colorAt((im[y * w + x]! - lo) / span, colorScale, pixels, ((top + y) * width + left + x) * 3);
      }
    }
  });
  return { width, height, pixels, rows, columns, tiles, rowPitch, columnPitch, imageShape: [h, w] };
}

let crcTable: Uint32Array | undefined;

function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, body: Uint8Array): Buffer {
  const chunk = Buffer.alloc(12 + body.length);
  chunk.writeUInt32BE(body.length, 0);
  chunk.write(type, 4, "latin1");
  chunk.set(body, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + body.length)), 8 + body.length);
  return chunk;
}

/** An 8-bit RGB PNG ([height, width, 3] bytes) as a base64 data URI. */
export function rgbToPngDataUri(width: number, height: number, rgb: Uint8Array): string {
  if (rgb.length !== width * height * 3) throw new Error(`expected ${width}×${height}×3 = ${width * height * 3} bytes, got ${rgb.length}`);
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter: none
    raw.set(rgb.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", header),
    pngChunk("IDAT", deflateSync(raw, { level: 9 })),
    pngChunk("IEND", new Uint8Array(0)),
  ]);
  return `data:image/png;base64,${png.toString("base64")}`;
}

/** Caption text size in px: smaller under tiles drawn at 1 screen pixel per image pixel. */
function captionFontSize(scale: number): number {
  return scale >= 2 ? 11 : 9;
}

/**
 * A grid of images (samples, misclassified examples, weight templates) as ONE PNG image
 * trace: row labels on the left, captions under tiles, square crisp pixels.
 */
export function imageGridPlot(images: ImageGridInput, options: ImageGridOptions = {}): Figure {
  const hasCaptions = (options.captions ?? []).some((c) => c !== undefined && c !== "");
  let scale = options.scale ?? 2;
  const captionRowsAt = (s: number): number => (hasCaptions ? Math.ceil((captionFontSize(s) + 4) / s) : 0);
  let grid = composeImageGrid(images, { ...options, captionRows: captionRowsAt(scale) });
  if (options.scale === undefined && grid.width * scale > 1100) {
    scale = Math.max(1, Math.floor(1100 / grid.width));
    grid = composeImageGrid(images, { ...options, captionRows: captionRowsAt(scale) });
  }
  const captionFontPx = captionFontSize(scale);
  if (options.rowLabels && options.rowLabels.length !== grid.rows) {
    throw new Error(`rowLabels has ${options.rowLabels.length} labels but the grid has ${grid.rows} rows.`);
  }
  if (options.captions && options.captions.length > grid.tiles.length) {
    throw new Error(`captions has ${options.captions.length} entries but there are only ${grid.tiles.length} images.`);
  }
  const [h, w] = grid.imageShape;
  const annotations: Annotation[] = [];
  (options.captions ?? []).forEach((caption, i) => {
    if (caption === undefined || caption === "") return;
    const tile = grid.tiles[i]!;
    annotations.push({
      text: escapeText(caption), x: tile.left + (w - 1) / 2, y: tile.top + h - 0.5, xref: "x", yref: "y",
      showarrow: false, xanchor: "center", yanchor: "top", font: { size: captionFontPx, color: "#333333" },
    });
  });
  const labelChars = Math.max(0, ...(options.rowLabels ?? []).map((l) => l.length));
  const margin = { l: options.rowLabels ? 16 + 7 * labelChars : 10, r: 10, t: options.title ? 40 : 10, b: 10 };
  const plotWidth = grid.width * scale;
  const plotHeight = grid.height * scale;
  return {
    data: [{ type: "image", source: rgbToPngDataUri(grid.width, grid.height, grid.pixels), x0: 0, y0: 0, dx: 1, dy: 1, hoverinfo: "skip" }],
    layout: {
      ...titleOf(options.title),
      xaxis: { visible: false, range: [-0.5, grid.width - 0.5], showgrid: false, zeroline: false },
      yaxis: {
        range: [grid.height - 0.5, -0.5], showgrid: false, zeroline: false, ticks: "",
        showticklabels: options.rowLabels !== undefined, scaleanchor: "x", scaleratio: 1,
        tickvals: options.rowLabels ? grid.tiles.filter((t) => t.column === 0).map((t) => t.top + (h - 1) / 2) : [],
        ticktext: options.rowLabels ? options.rowLabels.map(escapeText) : [],
      },
      width: plotWidth + margin.l + margin.r,
      height: plotHeight + margin.t + margin.b,
      margin,
      annotations,
      plot_bgcolor: "white",
    },
    config: { responsive: false, displaylogo: false, displayModeBar: false },
  };
}

export interface ClassSamplesOptions extends Omit<ImageGridOptions, "rowLabels" | "columns" | "captions"> {
  /** Images per class (default 10). */
  perClass?: number;
  /** Seed for choosing the samples (default 0). */
  seed?: number;
}

/** A few random training images of each class: one row per class, labelled with its name. */
export function classSamplesPlot(examples: Examples, classNames: readonly string[], options: ClassSamplesOptions = {}): Figure {
  const perClass = options.perClass ?? 10;
  const c = classNames.length;
  checkLabels(examples.y, c, "examples.y");
  const byClass: number[][] = Array.from({ length: c }, () => []);
  for (let i = 0; i < examples.n; i++) byClass[examples.y[i]!]!.push(i);
  const cells: (ArrayLike<number> | null)[] = [];
  byClass.forEach((indices, label) => {
    const take = Math.min(perClass, indices.length);
    const chosen = take > 0 ? sampleWithoutReplacement(indices.length, take, (options.seed ?? 0) + 7919 * label) : new Int32Array(0);
    for (let j = 0; j < perClass; j++) {
      cells.push(j < take ? examples.x.subarray(indices[chosen[j]!]! * examples.d, (indices[chosen[j]!]! + 1) * examples.d) : null);
    }
  });
  return imageGridPlot(cells, { title: "Samples per class", ...options, columns: perClass, rowLabels: classNames, imageShape: options.imageShape ?? squareShape(examples.d) });
}

function squareShape(d: number): [number, number] {
  const side = Math.round(Math.sqrt(d));
  if (side * side !== d) throw new Error(`images have ${d} pixels, which is not square; pass options.imageShape.`);
  return [side, side];
}

export interface MisclassifiedOptions extends Omit<ImageGridOptions, "rowLabels" | "captions"> {
  /** Most examples to show (default 20). */
  max?: number;
  /** Pick a random subset with this seed (default: the first `max` in order). */
  seed?: number;
}

/** Misclassified examples with "true → predicted" captions. `predicted` is [N] class labels. */
export function misclassifiedPlot(examples: Examples, predicted: ArrayLike<number>, classNames: readonly string[], options: MisclassifiedOptions = {}): Figure {
  if (predicted.length !== examples.n) throw new Error(`predicted has ${predicted.length} labels for ${examples.n} examples.`);
  checkLabels(examples.y, classNames.length, "examples.y");
  checkLabels(predicted, classNames.length, "predicted");
  const wrong: number[] = [];
  for (let i = 0; i < examples.n; i++) if (predicted[i] !== examples.y[i]) wrong.push(i);
  const max = options.max ?? 20;
  const chosen = options.seed === undefined || wrong.length <= max
    ? wrong.slice(0, max)
    : Array.from(sampleWithoutReplacement(wrong.length, max, options.seed), (j) => wrong[j]!).sort((a, b) => a - b);
  const title = options.title ?? `Misclassified: ${wrong.length} of ${examples.n} (showing ${chosen.length})`;
  if (chosen.length === 0) {
    return { data: [], layout: { title: { text: title }, height: 120, xaxis: { visible: false }, yaxis: { visible: false } }, config: { displaylogo: false } };
  }
  const images = chosen.map((i) => examples.x.subarray(i * examples.d, (i + 1) * examples.d));
  const captions = chosen.map((i) => `${classNames[examples.y[i]!]} → ${classNames[predicted[i]!]}`);
  return imageGridPlot(images, { ...options, title, columns: options.columns ?? Math.min(10, images.length), captions, imageShape: options.imageShape ?? squareShape(examples.d) });
}

export interface WeightTemplatesOptions extends Omit<ImageGridOptions, "captions"> {
  /** How `weights` is laid out: "[D, C]" (default; scores = x·W) or "[C, D]" (one row per class). */
  layout?: "[D, C]" | "[C, D]";
}

/**
 * A linear classifier's weights as one image per class, blue < 0 < red. Each template is
 * scaled to its own max |w| by default (`range: "each"`); pass `range: "all"` to compare
 * magnitudes across classes.
 */
export function weightTemplatesPlot(weights: ArrayLike<number>, classNames: readonly string[], options: WeightTemplatesOptions = {}): Figure {
  const c = classNames.length;
  if (c === 0) throw new Error("weightTemplatesPlot needs class names.");
  if (weights.length % c !== 0) throw new Error(`weights has ${weights.length} values, not a multiple of ${c} classes (drop the bias first).`);
  const d = weights.length / c;
  const shape = options.imageShape ?? squareShape(d);
  if (shape[0] * shape[1] !== d) throw new Error(`weights have ${d} values per class; imageShape ${shape[0]}×${shape[1]} needs ${shape[0] * shape[1]} (drop the bias row first).`);
  const classesFirst = options.layout === "[C, D]";
  const templates = Array.from({ length: c }, (_, k) => {
    if (classesFirst) return sliceOf(weights, k * d, (k + 1) * d);
    const t = new Float64Array(d);
    for (let p = 0; p < d; p++) t[p] = weights[p * c + k]!;
    return t;
  });
  return imageGridPlot(templates, {
    title: "Learned weight templates (blue < 0 < red)", colorScale: "diverging", range: "each", scale: 3,
    ...options, imageShape: shape, columns: options.columns ?? Math.min(c, 10), captions: [...classNames],
  });
}

// ---------------------------------------------------------------------------------------------
// Bar charts

export interface BarPlotOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Write each bar's value on it (default true). */
  showValues?: boolean;
  height?: number;
  width?: number;
}

export interface BarSeries {
  name: string;
  values: ArrayLike<number>;
}

/** Bars per category; several series are grouped side by side. */
export function barPlot(categories: readonly string[], series: ArrayLike<number> | BarSeries[], options: BarPlotOptions = {}): Figure {
  const list: BarSeries[] = Array.isArray(series) && series.length > 0 && typeof series[0] === "object"
    ? (series as BarSeries[])
    : [{ name: options.yLabel ?? "value", values: series as ArrayLike<number> }];
  const showValues = options.showValues ?? true;
  const data: Trace[] = list.map((s, i) => {
    if (s.values.length !== categories.length) {
      throw new Error(`bar series "${s.name}" has ${s.values.length} values for ${categories.length} categories.`);
    }
    const y = toNumbers(s.values, `bar series "${s.name}"`);
    const trace: BarTrace = { type: "bar", name: s.name, x: [...categories], y, marker: { color: classColor(i) } };
    if (showValues) {
      trace.text = y.map((v) => (Number.isInteger(v) ? String(v) : v.toPrecision(3)));
      trace.textposition = "outside";
    }
    return trace;
  });
  const layout: FigureLayout = {
    ...titleOf(options.title),
    xaxis: { title: axisTitle(options.xLabel), type: "category", automargin: true },
    yaxis: { title: axisTitle(options.yLabel), automargin: true },
    barmode: "group",
    showlegend: list.length > 1,
    height: options.height ?? 380,
    margin: { l: 60, r: 20, t: options.title ? 50 : 20, b: 50 },
  };
  if (options.width !== undefined) layout.width = options.width;
  return { data, layout, config: { responsive: true, displaylogo: false } };
}

/** How many examples of each class: labels [N] counted into C bars. */
export function classCountsPlot(labels: ArrayLike<number>, classNames: readonly string[], options: BarPlotOptions = {}): Figure {
  checkLabels(labels, classNames.length, "labels");
  const counts = new Array<number>(classNames.length).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++;
  return barPlot(classNames, counts, { title: "Examples per class", xLabel: "class", yLabel: "count", ...options });
}

// ---------------------------------------------------------------------------------------------
// 2-D toy data and decision regions

/** A regular grid over the plane: `points` is [M, 2] with M = xs.length · ys.length, x fastest. */
export interface DecisionGrid {
  xs: number[];
  ys: number[];
  points: Float32Array;
}

export interface DecisionGridOptions {
  /** Grid points per axis (default 150). */
  resolution?: number;
  /** Margin around the data, as a fraction of its extent (default 0.1). */
  padding?: number;
}

/** A grid covering 2-D points `x` ([N, 2] row-major) with some margin. */
export function makeDecisionGrid(x: ArrayLike<number>, options: DecisionGridOptions = {}): DecisionGrid {
  if (x.length === 0 || x.length % 2 !== 0) throw new Error(`2-D points must be a non-empty [N, 2] array, got ${x.length} values.`);
  const resolution = options.resolution ?? 150;
  if (!Number.isInteger(resolution) || resolution < 2) throw new Error(`resolution must be an integer ≥ 2, got ${resolution}`);
  const padding = options.padding ?? 0.1;
  const bounds = [[Infinity, -Infinity], [Infinity, -Infinity]] as [number, number][];
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!Number.isFinite(v)) throw new Error(`point ${Math.floor(i / 2)} has a non-finite coordinate ${v}.`);
    const b = bounds[i % 2]!;
    b[0] = Math.min(b[0], v);
    b[1] = Math.max(b[1], v);
  }
  const axis = ([lo, hi]: [number, number]): number[] => {
    const extent = hi - lo || 1;
    const a = lo - padding * extent;
    const step = (extent * (1 + 2 * padding)) / (resolution - 1);
    return Array.from({ length: resolution }, (_, i) => a + i * step);
  };
  const xs = axis(bounds[0]!);
  const ys = axis(bounds[1]!);
  const points = new Float32Array(xs.length * ys.length * 2);
  ys.forEach((yv, r) => xs.forEach((xv, q) => {
    points[(r * xs.length + q) * 2] = xv;
    points[(r * xs.length + q) * 2 + 1] = yv;
  }));
  return { xs, ys, points };
}

/** Predicted class for each grid point: `points` [M, 2] → labels [M]. */
export type GridClassifier = (points: Float32Array) => ArrayLike<number>;

export interface DecisionRegionOptions extends DecisionGridOptions {
  title?: string;
  /** Class names for the legend (default "class 0", ...). */
  classNames?: readonly string[];
  xLabel?: string;
  yLabel?: string;
  /** Plot size in pixels (default 520). */
  size?: number;
  /** Same scale on both axes, so angles and distances look right (default true). */
  equalAspect?: boolean;
}

/**
 * 2-D points coloured by class over the plane coloured by the classifier's predicted class.
 * `predict` maps grid points [M, 2] to labels [M]; or pass a precomputed `{grid, labels}`.
 */
export function decisionRegionPlot(
  data: { x: ArrayLike<number>; y: ArrayLike<number> },
  predict: GridClassifier | { grid: DecisionGrid; labels: ArrayLike<number> },
  options: DecisionRegionOptions = {},
): Figure {
  const n = data.y.length;
  if (data.x.length !== 2 * n) throw new Error(`x must be [N, 2] for N = ${n} labels, got ${data.x.length} values.`);
  const maxLabel = Math.max(0, ...Array.from(data.y));
  const grid = typeof predict === "function" ? makeDecisionGrid(data.x, options) : predict.grid;
  const gridLabels = typeof predict === "function" ? predict(grid.points) : predict.labels;
  const m = grid.xs.length * grid.ys.length;
  if (gridLabels.length !== m) throw new Error(`the classifier returned ${gridLabels.length} labels for ${m} grid points.`);
  const c = options.classNames?.length ?? Math.max(maxLabel, ...Array.from(gridLabels)) + 1;
  const names = options.classNames ? [...options.classNames] : Array.from({ length: c }, (_, i) => `class ${i}`);
  checkLabels(data.y, c, "y");
  checkLabels(gridLabels, c, "grid predictions");
  const z = grid.ys.map((_, r) => Array.from({ length: grid.xs.length }, (_, q) => Number(gridLabels[r * grid.xs.length + q])));
  // Piecewise-constant scale: label k covers [k/C, (k+1)/C] of the colour axis.
  const colorscale: [number, string][] = [];
  for (let k = 0; k < c; k++) {
    const t = tint(classColor(k), 0.7);
    colorscale.push([k / c, t], [(k + 1) / c, t]);
  }
  const traces: Trace[] = [{
    type: "heatmap", x: grid.xs, y: grid.ys, z, colorscale, zmin: -0.5, zmax: c - 0.5, showscale: false,
    zsmooth: false, hoverinfo: "skip",
  }];
  for (let k = 0; k < c; k++) {
    const px: number[] = [];
    const py: number[] = [];
    for (let i = 0; i < n; i++) if (data.y[i] === k) { px.push(Number(data.x[2 * i])); py.push(Number(data.x[2 * i + 1])); }
    traces.push({ type: "scatter", mode: "markers", name: names[k]!, x: px, y: py,
      marker: { color: classColor(k), size: 7, line: { color: "white", width: 1 } } });
  }
  const size = options.size ?? 520;
  return {
    data: traces,
    layout: {
      ...titleOf(options.title ?? "Decision regions"),
      // constrain "domain": keep the aspect ratio by shrinking the plot area, not by widening
      // the axis range past the coloured grid.
      xaxis: { title: axisTitle(options.xLabel ?? "x₁"), range: [grid.xs[0]!, grid.xs[grid.xs.length - 1]!], showgrid: false, zeroline: false, constrain: "domain" },
      yaxis: { title: axisTitle(options.yLabel ?? "x₂"), range: [grid.ys[0]!, grid.ys[grid.ys.length - 1]!], showgrid: false, zeroline: false, ...(options.equalAspect ?? true ? { scaleanchor: "x", scaleratio: 1, constrain: "domain" } : {}) },
      width: size + 140,
      height: size,
      margin: { l: 60, r: 20, t: 50, b: 50 },
      showlegend: true,
    },
    config: { responsive: false, displaylogo: false },
  };
}
