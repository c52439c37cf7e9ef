/**
 * Decision regions on 2-D toy data: a grid over the plane, each point coloured by the class a
 * model predicts there, with the data on top.
 */
import { axisTitle, classColor, tint, titleOf } from "./common.js";
import { rgbToPngDataUri } from "./png.js";
import { checkLabels, InvalidInputError } from "../core/checks.js";
import type { Figure, Trace } from "./figure.js";
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
  if (x.length === 0 || x.length % 2 !== 0) throw new InvalidInputError("x", `2-D points must be a non-empty [N, 2] array, got ${x.length} values.`);
  const resolution = options.resolution ?? 150;
  if (!Number.isInteger(resolution) || resolution < 2) throw new InvalidInputError("resolution", `resolution must be an integer ≥ 2, got ${resolution}`);
  const padding = options.padding ?? 0.1;
  const bounds = [[Infinity, -Infinity], [Infinity, -Infinity]] as [number, number][];
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!Number.isFinite(v)) throw new InvalidInputError("x", `point ${Math.floor(i / 2)} has a non-finite coordinate ${v}.`);
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
  if (data.x.length !== 2 * n) throw new InvalidInputError("x", `x must be [N, 2] for N = ${n} labels, got ${data.x.length} values.`);
  const maxLabel = Math.max(0, ...Array.from(data.y));
  const grid = typeof predict === "function" ? makeDecisionGrid(data.x, options) : predict.grid;
  const gridLabels = typeof predict === "function" ? predict(grid.points) : predict.labels;
  const m = grid.xs.length * grid.ys.length;
  if (gridLabels.length !== m) throw new InvalidInputError("classify", `the classifier returned ${gridLabels.length} labels for ${m} grid points.`);
  const c = options.classNames?.length ?? Math.max(maxLabel, ...Array.from(gridLabels)) + 1;
  const names = options.classNames ? [...options.classNames] : Array.from({ length: c }, (_, i) => `class ${i}`);
  checkLabels(data.y, c, "y");
  checkLabels(gridLabels, c, "grid predictions");
  // The regions as one small PNG (an image trace placed in data coordinates) rather than a
  // heatmap of every grid value: a 150×150 grid is ~5 KB as a PNG and ~200 KB as JSON, twice
  // over in a saved notebook. Row r of the image is grid row r (y ascending, as the axis).
  const rgb = new Uint8Array(m * 3);
  const palette = Array.from({ length: c }, (_, k) => tint(classColor(k), 0.7).match(/\d+/g)!.map(Number));
  for (let i = 0; i < m; i++) rgb.set(palette[Number(gridLabels[i])]!, 3 * i);
  const dx = grid.xs.length > 1 ? grid.xs[1]! - grid.xs[0]! : 1;
  const dy = grid.ys.length > 1 ? grid.ys[1]! - grid.ys[0]! : 1;
  const traces: Trace[] = [{
    type: "image", source: rgbToPngDataUri(grid.xs.length, grid.ys.length, rgb),
    x0: grid.xs[0]!, dx, y0: grid.ys[0]!, dy, hoverinfo: "skip",
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
