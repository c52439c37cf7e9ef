/**
 * Figure specs: the small part of Plotly's schema the builders in viz/ produce (plain JSON
 * `{data, layout, config}`; `show(fig)` in notebook/display.ts draws one), and the colour palette.
 * Nothing in viz/ touches the DOM.
 */

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
  marker?: { color?: string | number[]; size?: number; symbol?: string; line?: { color?: string; width?: number }; colorscale?: ColorScale; showscale?: boolean; colorbar?: Record<string, unknown> };
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

/** Parallel coordinates: one vertical axis per dimension, one line per record. */
export interface ParcoordsTrace {
  type: "parcoords";
  dimensions: { label: string; values: number[]; range?: [number, number]; tickvals?: number[]; ticktext?: string[] }[];
  line?: { color?: number[] | string; colorscale?: ColorScale; showscale?: boolean; cmin?: number; cmax?: number; colorbar?: Record<string, unknown> };
  [attribute: string]: unknown;
}

export type Trace = ScatterTrace | HeatmapTrace | ImageTrace | BarTrace | ParcoordsTrace;

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
/** Plotly's default qualitative colours (d3 category10); class c is drawn in colour c % 10. */
export const PLOT_COLORS: readonly string[] = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
];
