/**
 * Image grids: many small images composed into ONE PNG shown by a single Plotly `image` trace
 * (a 10×10 grid of 28×28 digits is a few tens of kilobytes; Plotly draws it with
 * `image-rendering: pixelated`, so pixels stay crisp when scaled up), plus the figures built on it:
 * samples per class, misclassified examples, learned weight templates.
 */
import { sampleWithoutReplacement } from "../core/random.js";
import type { Examples } from "../core/types.js";
import { escapeText, hexToRgb, titleOf } from "./common.js";
import { checkLabels, InvalidInputError } from "../core/checks.js";
import type { Annotation, Figure } from "./figure.js";
import { rgbToPngDataUri } from "./png.js";
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
    if (!shape) throw new InvalidInputError("imageShape", "a flat image array needs options.imageShape ([height, width]).");
    const d = shape[0] * shape[1];
    if (flat.length % d !== 0) throw new InvalidInputError("images", `flat image array has ${flat.length} values, not a multiple of ${shape[0]}×${shape[1]} = ${d}.`);
    const list: ArrayLike<number>[] = [];
    for (let i = 0; i < flat.length / d; i++) list.push(sliceOf(flat, i * d, (i + 1) * d));
    return { list, shape };
  }
  const list = [...(images as ReadonlyArray<ArrayLike<number> | null>)];
  const sample = list.find((im) => im !== null);
  if (!shape) {
    if (!sample) throw new InvalidInputError("images", "image grid: every cell is empty and no imageShape was given.");
    const side = Math.round(Math.sqrt(sample.length));
    if (side * side !== sample.length) throw new InvalidInputError("imageShape", `images have ${sample.length} pixels, which is not square; pass options.imageShape.`);
    shape = [side, side];
  }
  const d = shape[0] * shape[1];
  list.forEach((im, i) => {
    if (im !== null && im.length !== d) throw new InvalidInputError("images", `image ${i} has ${im.length} pixels; expected ${shape![0]}×${shape![1]} = ${d}.`);
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
  if (list.length === 0) throw new InvalidInputError("images", "image grid: no images.");
  const [h, w] = shape;
  const columns = options.columns ?? Math.min(list.length, 10);
  if (!Number.isInteger(columns) || columns < 1) throw new InvalidInputError("columns", `columns must be a positive integer, got ${columns}`);
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
      if (!Number.isFinite(im[p]!)) throw new InvalidInputError("images", `image ${i}, pixel ${p} is ${im[p]}; images must be finite.`);
    }
  });
  const present = list.filter((im): im is ArrayLike<number> => im !== null);
  const shared = Array.isArray(options.range) ? options.range : options.range === "each" ? undefined : valueRange(present, colorScale);
  if (shared && !(shared[1] > shared[0])) throw new InvalidInputError("range", `range [${shared[0]}, ${shared[1]}] must have low < high.`);
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
    throw new InvalidInputError("rowLabels", `rowLabels has ${options.rowLabels.length} labels but the grid has ${grid.rows} rows.`);
  }
  if (options.captions && options.captions.length > grid.tiles.length) {
    throw new InvalidInputError("captions", `captions has ${options.captions.length} entries but there are only ${grid.tiles.length} images.`);
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
  if (side * side !== d) throw new InvalidInputError("imageShape", `images have ${d} pixels, which is not square; pass options.imageShape.`);
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
  if (predicted.length !== examples.n) throw new InvalidInputError("predicted", `predicted has ${predicted.length} labels for ${examples.n} examples.`);
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
  if (c === 0) throw new InvalidInputError("classNames", "weightTemplatesPlot needs class names.");
  if (weights.length % c !== 0) throw new InvalidInputError("weights", `weights has ${weights.length} values, not a multiple of ${c} classes (drop the bias first).`);
  const d = weights.length / c;
  const shape = options.imageShape ?? squareShape(d);
  if (shape[0] * shape[1] !== d) throw new InvalidInputError("imageShape", `weights have ${d} values per class; imageShape ${shape[0]}×${shape[1]} needs ${shape[0] * shape[1]} (drop the bias row first).`);
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

/** Neighbour lists as the search returns them: [M, k] indices and distances, row-major. */
export interface NeighborLists {
  indices: Int32Array;
  distances: Float32Array;
  k: number;
}

export interface NeighborGalleryOptions extends Omit<ImageGridOptions, "captions" | "columns"> {
  /** How many queries whose nearest neighbour has the right label, and how many with a wrong one (default 4 and 2). */
  right?: number;
  wrong?: number;
}

/**
 * Queries (left column) next to their k nearest training images, each captioned with its label
 * and distance: the first `right` queries whose nearest neighbour has their label, then the first
 * `wrong` ones whose nearest neighbour has another. Shows what "near in pixel space" means.
 * @param neighbors lists for the queries in `queries`, in the same order
 */
export function neighborGalleryPlot(
  queries: Examples,
  train: Examples,
  neighbors: NeighborLists,
  classNames: readonly string[],
  options: NeighborGalleryOptions = {},
): Figure {
  const { k } = neighbors;
  if (neighbors.indices.length !== queries.n * k) {
    throw new InvalidInputError("neighbors", `neighbour lists hold ${neighbors.indices.length / k} queries but ${queries.n} were given`);
  }
  const right: number[] = [];
  const wrong: number[] = [];
  for (let i = 0; i < queries.n; i++) {
    (train.y[neighbors.indices[i * k]!] === queries.y[i] ? right : wrong).push(i);
  }
  const chosen = [...right.slice(0, options.right ?? 4), ...wrong.slice(0, options.wrong ?? 2)];
  const images: ArrayLike<number>[] = [];
  const captions: string[] = [];
  for (const i of chosen) {
    images.push(queries.x.subarray(i * queries.d, (i + 1) * queries.d));
    captions.push(`query: ${classNames[queries.y[i]!]}`);
    for (let r = 0; r < k; r++) {
      const j = neighbors.indices[i * k + r]!;
      images.push(train.x.subarray(j * train.d, (j + 1) * train.d));
      captions.push(`${classNames[train.y[j]!]} (${neighbors.distances[i * k + r]!.toFixed(1)})`);
    }
  }
  return imageGridPlot(images, {
    title: "Test digits (left) and their nearest training images: label (distance)",
    ...options,
    columns: 1 + k,
    captions,
  });
}
