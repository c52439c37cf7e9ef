/**
 * The confusion matrix as an annotated heatmap.
 */
import { InvalidInputError } from "../core/checks.js";
import { titleOf, toNumbers } from "./common.js";
import type { Annotation, Figure } from "./figure.js";

const BLUES: [number, string][] = [
  [0, "#f7fbff"], [0.125, "#deebf7"], [0.25, "#c6dbef"], [0.375, "#9ecae1"], [0.5, "#6baed6"],
  [0.625, "#4292c6"], [0.75, "#2171b5"], [0.875, "#08519c"], [1, "#08306b"],
];
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
    if (flat.length !== c * c) throw new InvalidInputError("matrix", `confusion matrix has ${flat.length} values; expected ${c}×${c} = ${c * c} for ${c} classes.`);
    return Array.from({ length: c }, (_, i) => toNumbers(Array.prototype.slice.call(flat, i * c, (i + 1) * c) as number[], `confusion row ${i}`));
  }
  const rows = matrix as ReadonlyArray<ArrayLike<number>>;
  if (rows.length !== c || rows.some((r) => r.length !== c)) {
    throw new InvalidInputError("matrix", `confusion matrix must be ${c}×${c} (one row and column per class), got ${rows.length} rows of lengths ${rows.map((r) => r.length).join(",")}.`);
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
  if (c < 1) throw new InvalidInputError("matrix", "confusion matrix is empty.");
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
