/** viz/: Plotly figure builders (public surface of this folder; common.ts stays internal). */
export * from "./figure.js";
export * from "./smoothing.js";
export * from "./lines.js";
export * from "./confusion.js";
export * from "./images.js";
export * from "./png.js";
export * from "./bars.js";
export * from "./decision.js";
export * from "./tune.js";
export * from "./graph.js";
export * from "./filters.js";
