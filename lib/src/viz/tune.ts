/**
 * Figures for hyperparameter studies: trials placed by two hyperparameters and coloured by
 * validation accuracy (log axes for rates and strengths), all trials in parallel coordinates,
 * the loss curves of the best few, and the classic picture of why random search covers an
 * important hyperparameter better than a grid of the same size.
 */
import { InvalidInputError } from "../core/checks.js";
import type { TrialRecord } from "../tune/store.js";
import type { Config } from "../tune/space.js";
import type { Figure, ScatterTrace } from "./figure.js";
import { PLOT_COLORS } from "./figure.js";
import { lossCurvePlot } from "./lines.js";

const ACCURACY_SCALE = "Viridis";

function numeric(config: Config, name: string): number {
  const v = config[name];
  if (typeof v !== "number") throw new InvalidInputError("name", `trials have no numeric hyperparameter "${name}" (got ${JSON.stringify(v)})`);
  return v;
}

export interface TrialScatterOptions {
  title?: string;
  /** Log axes (default true for both: rates and strengths span decades). */
  logX?: boolean;
  logY?: boolean;
  size?: number;
}

/**
 * Each finished trial as a point at (x, y) = two of its hyperparameters, coloured by validation
 * accuracy; diverged or failed trials are grey crosses. Works for grids and random searches alike.
 */
export function trialScatterPlot(trials: readonly TrialRecord[], x: string, y: string, options: TrialScatterOptions = {}): Figure {
  const good = trials.filter((t) => t.status === "ok" && t.validationAccuracy !== null);
  const bad = trials.filter((t) => !good.includes(t));
  const data: ScatterTrace[] = [
    {
      type: "scatter",
      mode: "markers",
      name: "trials",
      x: good.map((t) => numeric(t.config, x)),
      y: good.map((t) => numeric(t.config, y)),
      marker: { color: good.map((t) => t.validationAccuracy!), size: 13, colorscale: ACCURACY_SCALE, showscale: true, colorbar: { title: { text: "val acc" } } },
      text: good.map((t) => `trial ${t.id}: ${(100 * t.validationAccuracy!).toFixed(1)}%`),
      hovertemplate: `%{text}<br>${x} %{x:.3g}<br>${y} %{y:.3g}<extra></extra>`,
      showlegend: false,
    },
  ];
  if (bad.length > 0) {
    data.push({
      type: "scatter",
      mode: "markers",
      name: "diverged / failed",
      x: bad.map((t) => numeric(t.config, x)),
      y: bad.map((t) => numeric(t.config, y)),
      marker: { color: "#999999", size: 11, symbol: "x" },
    });
  }
  return {
    data,
    layout: {
      title: { text: options.title ?? `Validation accuracy by ${x} and ${y}` },
      xaxis: { title: { text: x }, type: options.logX === false ? "linear" : "log" },
      yaxis: { title: { text: y }, type: options.logY === false ? "linear" : "log" },
      width: options.size ?? 560,
      height: Math.round((options.size ?? 560) * 0.8),
      showlegend: bad.length > 0,
    },
    config: { responsive: true, displaylogo: false },
  };
}

/**
 * All trials at once: one axis per hyperparameter (log10 of those listed in `log`) and a last
 * axis for validation accuracy; each trial is a line coloured by its accuracy.
 */
export function parallelCoordinatesPlot(trials: readonly TrialRecord[], params: readonly string[], options: { log?: readonly string[]; title?: string } = {}): Figure {
  const good = trials.filter((t) => t.status === "ok" && t.validationAccuracy !== null);
  const log = new Set(options.log ?? []);
  const dimension = (name: string) => {
    const values = good.map((t) => {
      const v = t.config[name];
      return typeof v === "number" ? (log.has(name) ? Math.log10(v) : v) : Number.NaN;
    });
    const categorical = good.some((t) => typeof t.config[name] !== "number");
    if (!categorical) return { label: log.has(name) ? `log10 ${name}` : name, values };
    const categories = [...new Set(good.map((t) => String(t.config[name])))];
    return { label: name, values: good.map((t) => categories.indexOf(String(t.config[name]))), tickvals: categories.map((_, i) => i), ticktext: categories };
  };
  const accuracies = good.map((t) => t.validationAccuracy!);
  return {
    data: [
      {
        type: "parcoords",
        dimensions: [...params.map(dimension), { label: "validation accuracy", values: accuracies }],
        line: { color: accuracies, colorscale: ACCURACY_SCALE, showscale: true },
      },
    ],
    layout: { title: { text: options.title ?? `All ${good.length} trials` }, width: 760, height: 420 },
    config: { responsive: true, displaylogo: false },
  };
}

/** The loss curves of the `count` trials with the best validation accuracy (raw and smoothed). */
export function bestTrialsLossPlot(trials: readonly TrialRecord[], count = 3, title?: string): Figure {
  const best = trials
    .filter((t) => t.status === "ok" && t.validationAccuracy !== null && t.lossCurve.length > 0)
    .sort((a, b) => b.validationAccuracy! - a.validationAccuracy!)
    .slice(0, count);
  if (best.length === 0) throw new InvalidInputError("trials", "no finished trial has a loss curve to plot");
  const label = (t: TrialRecord) =>
    `${(100 * t.validationAccuracy!).toFixed(1)}%: ${Object.entries(t.config).map(([k, v]) => `${k}=${typeof v === "number" ? v.toPrecision(2) : v}`).join(", ")}`;
  return lossCurvePlot(best.map((t) => ({ name: label(t), values: t.lossCurve })), { title: title ?? `Loss curves of the best ${best.length} trials`, xLabel: "training progress (thinned)" });
}

/**
 * Where a set of configurations puts its tries along two hyperparameters in [0, 1]², with the
 * distinct values tried along x marked under the plot: a 3×3 grid tries only 3 values of x, nine
 * random points try 9. When only x matters, random search sees three times as much of it.
 */
export function searchCoveragePlot(configs: readonly Config[], x: string, y: string, title: string): Figure {
  const xs = configs.map((c) => numeric(c, x));
  const ys = configs.map((c) => numeric(c, y));
  const distinct = [...new Set(xs)];
  return {
    data: [
      { type: "scatter", mode: "markers", name: "tries", x: xs, y: ys, marker: { color: PLOT_COLORS[0], size: 11 } },
      {
        type: "scatter",
        mode: "markers",
        name: `values of ${x} tried`,
        x: distinct,
        y: distinct.map(() => -0.08),
        marker: { color: PLOT_COLORS[1], size: 14, symbol: "line-ns-open", line: { width: 3, color: PLOT_COLORS[1] } },
      },
    ],
    layout: {
      title: { text: `${title}: ${distinct.length} distinct values of ${x}` },
      xaxis: { title: { text: `${x} (important)` }, range: [-0.05, 1.05] },
      yaxis: { title: { text: `${y} (unimportant)` }, range: [-0.15, 1.05] },
      width: 380,
      height: 360,
      showlegend: false,
    },
    config: { responsive: true, displaylogo: false },
  };
}

/**
 * Validation accuracy against one hyperparameter (e.g. hidden size): every finished trial as a
 * point, and the mean per value as a line, so the trend shows through the other knobs' noise.
 */
export function accuracyByParameterPlot(trials: readonly TrialRecord[], param: string, options: { title?: string; log?: boolean } = {}): Figure {
  const good = trials.filter((t) => t.status === "ok" && t.validationAccuracy !== null);
  const values = good.map((t) => numeric(t.config, param));
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  const means = distinct.map((v) => {
    const accs = good.filter((t) => t.config[param] === v).map((t) => t.validationAccuracy!);
    return accs.reduce((a, b) => a + b, 0) / accs.length;
  });
  return {
    data: [
      { type: "scatter", mode: "markers", name: "trials", x: values, y: good.map((t) => t.validationAccuracy!), marker: { color: PLOT_COLORS[0], size: 8 }, opacity: 0.6 },
      { type: "scatter", mode: "lines+markers", name: "mean", x: distinct, y: means, line: { color: PLOT_COLORS[1], width: 2 } },
    ],
    layout: {
      title: { text: options.title ?? `Validation accuracy by ${param}` },
      xaxis: { title: { text: param }, type: options.log ? "log" : "linear" },
      yaxis: { title: { text: "validation accuracy" } },
      width: 560,
      height: 400,
    },
    config: { responsive: true, displaylogo: false },
  };
}

export interface TrialHeatmapOptions {
  title?: string;
  /** Cells per axis when the trials are not a grid (random search): log-spaced bins (default 6). */
  bins?: number;
  /** Log-spaced cells (default true for both: rates and strengths span decades). */
  logX?: boolean;
  logY?: boolean;
}

/**
 * Validation accuracy as a heatmap over two hyperparameters, e.g. learning rate × regularisation.
 * A grid search gives one cell per grid point; other trials (random search) are binned into
 * `bins` × `bins` cells, log-spaced, each showing its best trial. Cells whose trials all diverged
 * read "×"; cells without a trial stay empty. Each cell is labelled with its accuracy.
 */
export function trialHeatmapPlot(trials: readonly TrialRecord[], x: string, y: string, options: TrialHeatmapOptions = {}): Figure {
  if (trials.length === 0) throw new InvalidInputError("trials", "trialHeatmapPlot: no trials yet");
  const xs = trials.map((t) => numeric(t.config, x));
  const ys = trials.map((t) => numeric(t.config, y));
  const xAxis = heatmapAxis(xs, options.bins ?? 6, options.logX ?? true, x);
  const yAxis = heatmapAxis(ys, options.bins ?? 6, options.logY ?? true, y);
  const best: (number | null)[][] = yAxis.labels.map(() => xAxis.labels.map(() => null));
  const tried: boolean[][] = yAxis.labels.map(() => xAxis.labels.map(() => false));
  trials.forEach((t, i) => {
    const col = xAxis.cell(xs[i]!);
    const row = yAxis.cell(ys[i]!);
    tried[row]![col] = true;
    if (t.status === "ok" && t.validationAccuracy !== null) best[row]![col] = Math.max(best[row]![col] ?? -Infinity, t.validationAccuracy);
  });
  const text = best.map((r, i) => r.map((v, j) => (v !== null ? `${(100 * v).toFixed(1)}%` : tried[i]![j] ? "×" : "")));
  const finite = best.flat().filter((v): v is number => v !== null);
  return {
    data: [
      {
        type: "heatmap",
        z: best,
        x: xAxis.labels,
        y: yAxis.labels,
        text,
        texttemplate: "%{text}",
        colorscale: ACCURACY_SCALE,
        zmin: finite.length ? Math.min(...finite) : 0,
        zmax: finite.length ? Math.max(...finite) : 1,
        colorbar: { title: { text: "val acc" } },
        hovertemplate: `${x} %{x}<br>${y} %{y}<br>best validation accuracy %{text}<extra></extra>`,
        xgap: 2,
        ygap: 2,
      },
    ],
    layout: {
      title: { text: options.title ?? `Validation accuracy over ${x} × ${y}` },
      xaxis: { title: { text: `${x}${options.logX ?? true ? " (log scale)" : ""}` }, type: "category" },
      yaxis: { title: { text: `${y}${options.logY ?? true ? " (log scale)" : ""}` }, type: "category" },
      width: 620,
      height: 480,
      plot_bgcolor: "#f4f4f4",
    },
    config: { responsive: true, displaylogo: false },
  };
}

/** The cells of one heatmap axis: the distinct values of a grid, or log/linear bins of random values. */
function heatmapAxis(values: readonly number[], bins: number, log: boolean, name: string): { labels: string[]; cell: (v: number) => number } {
  if (log && values.some((v) => v <= 0)) throw new InvalidInputError("log", `trialHeatmapPlot: ${name} has values ≤ 0, which a log scale cannot place; pass log${name === "x" ? "X" : "Y"}: false`);
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  const label = (v: number): string => (Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? String(Number(v.toPrecision(2))) : v.toExponential(0));
  if (distinct.length <= Math.max(bins, 8)) {
    return { labels: distinct.map(label), cell: (v) => distinct.indexOf(v) };
  }
  const t = (v: number): number => (log ? Math.log10(v) : v);
  const lo = t(distinct[0]!);
  const hi = t(distinct[distinct.length - 1]!);
  const width = (hi - lo) / bins || 1;
  const edge = (i: number): number => (log ? 10 ** (lo + i * width) : lo + i * width);
  return {
    labels: Array.from({ length: bins }, (_, i) => `${label(edge(i))}–${label(edge(i + 1))}`),
    cell: (v) => Math.min(bins - 1, Math.max(0, Math.floor((t(v) - lo) / width))),
  };
}
