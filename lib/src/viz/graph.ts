/**
 * The picture of a computational graph (nn/scalar.ts): one box per value, inputs on the left and
 * the output on the right, each showing its forward value and, after `backward()`, its gradient;
 * arrows run from each input of an operation to its result, labelled with the operation.
 */
import { graphOf, Value, type ComputationGraph, type GraphNode } from "../nn/scalar.js";
import { escapeText, titleOf } from "./common.js";
import type { Annotation, Figure, FigureLayout } from "./figure.js";
import { InvalidInputError } from "../core/checks.js";

export interface GraphPlotOptions {
  title?: string;
  /** Digits after the point for values and gradients (default 3). */
  digits?: number;
  /** Show gradients (default: yes once any gradient is non-zero, i.e. after backward()). */
  showGradients?: boolean;
  width?: number;
  height?: number;
}

const VALUE_COLOR = "#1f77b4";
const GRAD_COLOR = "#d62728";
/** Pixels per column of the graph, and half a box's width in columns. */
const COLUMN_WIDTH = 200;
const BOX_HALF_WIDTH = 0.3;

/**
 * Draws the graph behind `output` (a `Value`, or `graphOf(value)` captured earlier, e.g. before
 * `backward()` to show the forward pass alone).
 */
export function computationGraphPlot(output: Value | ComputationGraph, options: GraphPlotOptions = {}): Figure {
  const graph = output instanceof Value ? graphOf(output) : output;
  if (graph.nodes.length === 0) throw new InvalidInputError("graph", "computationGraphPlot: the graph has no nodes.");
  const digits = options.digits ?? 3;
  const showGradients = options.showGradients ?? graph.nodes.some((n) => n.grad !== 0);
  const y = layoutRows(graph);
  const depth = Math.max(...graph.nodes.map((n) => n.depth));
  const rows = Math.max(...y) + 1;

  const format = (v: number): string => v.toFixed(digits).replace("-", "−");
  const annotations: Annotation[] = [];
  for (const edge of graph.edges) {
    const from = graph.nodes[edge.from]!;
    const to = graph.nodes[edge.to]!;
    annotations.push({
      // from the right edge of the input's box to the left edge of the result's (boxes are about
      // 0.55 of a column wide)
      text: "", x: to.depth - BOX_HALF_WIDTH, y: y[to.id]!, ax: from.depth + BOX_HALF_WIDTH, ay: y[from.id]!, xref: "x", yref: "y", axref: "x", ayref: "y",
      showarrow: true, arrowhead: 2, arrowsize: 1.2, arrowwidth: 1.4, arrowcolor: "#888",
    });
  }
  for (const node of graph.nodes) {
    const name = node.label || (node.op ? "" : format(node.data));
    const head = [name && `<b>${escapeText(name)}</b>`, node.op && `<i>${escapeText(node.op)}</i>`].filter(Boolean).join(" = ");
    const lines = [head || "&nbsp;", `<span style="color:${VALUE_COLOR}">value ${format(node.data)}</span>`];
    if (showGradients) lines.push(`<span style="color:${GRAD_COLOR}">grad ${format(node.grad)}</span>`);
    annotations.push({
      text: lines.join("<br>"), x: node.depth, y: y[node.id]!, xref: "x", yref: "y", showarrow: false,
      bgcolor: node.op ? "#f7f7f7" : "#eef4fb", bordercolor: node.depth === depth ? "#333" : "#999", borderwidth: node.depth === depth ? 2 : 1, borderpad: 5,
      font: { size: 12, family: "monospace" },
    });
  }
  // An invisible trace gives the axes their extent (annotations alone do not set ranges) and
  // carries hover text for each node.
  const data: Figure["data"] = [{
    type: "scatter", mode: "markers", x: graph.nodes.map((n) => n.depth), y: graph.nodes.map((n) => y[n.id]!),
    marker: { size: 1, color: "rgba(0,0,0,0)" }, showlegend: false, hoverinfo: "text",
    text: graph.nodes.map((n) => hoverText(n, format)),
  }];
  const layout: FigureLayout = {
    ...titleOf(options.title),
    xaxis: { visible: false, range: [-0.6, depth + 0.6] },
    yaxis: { visible: false, range: [rows - 0.4, -0.6] },
    annotations,
    showlegend: false,
    width: options.width ?? Math.max(420, COLUMN_WIDTH * (depth + 1.2)),
    height: options.height ?? Math.max(220, 78 * rows + (options.title ? 60 : 20)),
    margin: { l: 10, r: 10, t: options.title ? 50 : 10, b: 10 },
    plot_bgcolor: "white",
  };
  return { data, layout, config: { responsive: true, displaylogo: false, displayModeBar: false } };
}

function hoverText(n: GraphNode, format: (v: number) => string): string {
  return `${escapeText(n.label || n.op || "constant")}: value ${format(n.data)}, grad ${format(n.grad)}`;
}

/**
 * Rows for the nodes: inputs in the order they were first used, every later node at the mean row
 * of its inputs, then nodes sharing a column pushed apart so no two boxes overlap.
 */
function layoutRows(graph: ComputationGraph): number[] {
  const y = new Array<number>(graph.nodes.length).fill(0);
  const parents: number[][] = graph.nodes.map(() => []);
  for (const e of graph.edges) parents[e.to]!.push(e.from);
  let nextLeaf = 0;
  for (const n of graph.nodes) {
    const ps = parents[n.id]!;
    y[n.id] = ps.length === 0 ? nextLeaf++ : ps.reduce((s, p) => s + y[p]!, 0) / ps.length;
  }
  const columns = new Map<number, GraphNode[]>();
  for (const n of graph.nodes) columns.set(n.depth, [...(columns.get(n.depth) ?? []), n]);
  for (const column of columns.values()) {
    column.sort((a, b) => y[a.id]! - y[b.id]! || a.id - b.id);
    for (let i = 1; i < column.length; i++) {
      const prev = y[column[i - 1]!.id]!;
      if (y[column[i]!.id]! < prev + 1) y[column[i]!.id] = prev + 1;
    }
  }
  const min = Math.min(...y);
  return y.map((v) => v - min);
}
