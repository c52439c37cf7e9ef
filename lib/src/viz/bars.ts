/**
 * Bar charts: values per category, and examples per class.
 */
import { axisTitle, classColor, titleOf, toNumbers } from "./common.js";
import { checkLabels, InvalidInputError } from "../core/checks.js";
import type { BarTrace, Figure, FigureLayout, Trace } from "./figure.js";
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
      throw new InvalidInputError("series", `bar series "${s.name}" has ${s.values.length} values for ${categories.length} categories.`);
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
