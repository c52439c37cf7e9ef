/**
 * Pictures of a convolutional network, built on the image grids of images.ts: its filters (one tile
 * per filter and input channel) and the feature maps of one image (one tile per channel).
 */
import { InvalidInputError } from "../core/checks.js";
import type { Figure } from "./figure.js";
import { imageGridPlot, type ImageGridOptions } from "./images.js";

export interface FiltersPlotOptions extends Omit<ImageGridOptions, "imageShape" | "rowLabels"> {
  /** Captions under the tiles (default "k0", "k1", ... for the filters). */
  captions?: readonly string[];
}

/**
 * Filters W [F_h, F_w, C, K] (row-major, TensorFlow's layout) as a grid: one row per input channel,
 * one column per filter, blue < 0 < red on one shared scale by default.
 */
export function filtersPlot(weights: ArrayLike<number>, shape: readonly [number, number, number, number], options: FiltersPlotOptions = {}): Figure {
  const [fh, fw, c, k] = shape;
  if (weights.length !== fh * fw * c * k) throw new InvalidInputError("weights", `filtersPlot: ${weights.length} weights do not fit the shape [${shape.join(", ")}]`);
  const tiles: Float32Array[] = [];
  for (let ch = 0; ch < c; ch++) {
    for (let kk = 0; kk < k; kk++) {
      const tile = new Float32Array(fh * fw);
      for (let a = 0; a < fh; a++) for (let b = 0; b < fw; b++) tile[a * fw + b] = weights[((a * fw + b) * c + ch) * k + kk]!;
      tiles.push(tile);
    }
  }
  const captions = c === 1 ? (options.captions ?? Array.from({ length: k }, (_, kk) => `k${kk}`)) : undefined;
  return imageGridPlot(tiles, {
    colorScale: "diverging",
    scale: Math.max(4, Math.floor(48 / Math.max(fh, fw))),
    ...options,
    captions,
    imageShape: [fh, fw],
    columns: k,
    rowLabels: c > 1 ? Array.from({ length: c }, (_, ch) => `in ${ch}`) : undefined,
  });
}

export interface FeatureMapsPlotOptions extends Omit<ImageGridOptions, "imageShape"> {
  /** Which image of the batch (default 0). */
  image?: number;
}

/** The K feature maps of one image from maps [M, H, W, K] (row-major), one tile per channel (each on its own scale by default). */
export function featureMapsPlot(maps: ArrayLike<number>, shape: readonly [number, number, number, number], options: FeatureMapsPlotOptions = {}): Figure {
  const [m, h, w, k] = shape;
  const image = options.image ?? 0;
  if (maps.length !== m * h * w * k) throw new InvalidInputError("maps", `featureMapsPlot: ${maps.length} values do not fit the shape [${shape.join(", ")}]`);
  if (!Number.isInteger(image) || image < 0 || image >= m) throw new InvalidInputError("image", `featureMapsPlot: image must be 0..${m - 1}, got ${image}`);
  const tiles: Float32Array[] = [];
  for (let kk = 0; kk < k; kk++) {
    const tile = new Float32Array(h * w);
    for (let p = 0; p < h * w; p++) tile[p] = maps[(image * h * w + p) * k + kk]!;
    tiles.push(tile);
  }
  const { image: _image, ...grid } = options;
  return imageGridPlot(tiles, { range: "each", columns: Math.min(k, 8), captions: tiles.map((_, kk) => `ch ${kk}`), ...grid, imageShape: [h, w] });
}
