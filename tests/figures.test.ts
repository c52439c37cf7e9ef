import { test } from "node:test";
import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";
import { runInNewContext } from "node:vm";
import Module, { createRequire } from "node:module";
import {
  accuracyVsKPlot,
  barPlot,
  classCountsPlot,
  classSamplesPlot,
  composeImageGrid,
  confusionMatrixPlot,
  histogramCounts,
  histogramPlot,
  decisionRegionPlot,
  imageGridPlot,
  linePlot,
  lossCurvePlot,
  makeDecisionGrid,
  misclassifiedPlot,
  smoothEma,
  smoothWindow,
  weightTemplatesPlot,
  type Annotation,
  type Figure,
  type HeatmapTrace,
  type ImageTrace,
  type ScatterTrace,
} from "../lib/src/viz/index.js";
import { PLOTLY_MIME_TYPE, figureHtml, figureMimeBundle, figureToJson, plotlyLoaderHtml, show, embedPlotlyInNotebook } from "../lib/src/notebook/display.js";
import type { Examples } from "../lib/src/core/types.js";

function close(actual: number, expected: number, tol = 1e-9): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} ≉ ${expected}`);
}

/** Decodes the RGB, filter-0 PNGs that rgbToPngDataUri writes. */
function decodePng(dataUri: string): { width: number; height: number; rgb: Uint8Array } {
  const prefix = "data:image/png;base64,";
  assert.ok(dataUri.startsWith(prefix));
  const png = Buffer.from(dataUri.slice(prefix.length), "base64");
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("latin1", offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      assert.equal(body[8], 8);
      assert.equal(body[9], 2);
    } else if (type === "IDAT") idat.push(body);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    assert.equal(raw[y * (width * 3 + 1)], 0, "filter type 0");
    rgb.set(raw.subarray(y * (width * 3 + 1) + 1, (y + 1) * (width * 3 + 1)), y * width * 3);
  }
  return { width, height, rgb };
}

function pixelAt(rgb: Uint8Array, width: number, x: number, y: number): [number, number, number] {
  const o = (y * width + x) * 3;
  return [rgb[o]!, rgb[o + 1]!, rgb[o + 2]!];
}

test("smoothEma: bias-corrected EMA matches a hand computation", () => {
  // weight 0.5: s1 = 0.5 → 0.5/0.5 = 1; s2 = 0.25 + 1 = 1.25 → /0.75 = 5/3; s3 = 0.625 + 1.5 → /0.875 = 17/7
  const s = smoothEma([1, 2, 3], 0.5);
  close(s[0]!, 1);
  close(s[1]!, 5 / 3);
  close(s[2]!, 17 / 7);
  // A NaN is skipped: the next point continues from the first (s = 0.25 + 1.5, two points seen).
  const withGap = smoothEma([1, NaN, 3], 0.5);
  assert.ok(Number.isNaN(withGap[1]!));
  close(withGap[2]!, 1.75 / 0.75);
  assert.deepEqual(smoothEma([4, 5], 0), [4, 5]);
  assert.throws(() => smoothEma([1], 1), /\[0, 1\)/);
});

test("smoothWindow: trailing means with a short start", () => {
  assert.deepEqual(smoothWindow([1, 2, 3, 4], 2), [1, 1.5, 2.5, 3.5]);
  assert.deepEqual(smoothWindow([1, 2, 3, 4], 3), [1, 1.5, 2, 3]);
  assert.deepEqual(smoothWindow([1, NaN, 3], 2), [1, 1, 3]);
  assert.throws(() => smoothWindow([1], 0), /positive integer/);
});

test("linePlot: one trace per series with its values, gaps for NaN, length checks", () => {
  const fig = linePlot([
    { name: "train", y: new Float32Array([0.5, 0.75, 0.875]) },
    { name: "val", x: [10, 20, 30], y: [0.5, NaN, 0.8], error: [0.1, 0.1, 0.1] },
  ], { title: "acc", xLabel: "epoch", logY: true });
  assert.equal(fig.data.length, 2);
  const [train, val] = fig.data as ScatterTrace[];
  assert.deepEqual(train!.x, [0, 1, 2]);
  assert.deepEqual(train!.y, [0.5, 0.75, 0.875]);
  assert.equal(train!.name, "train");
  assert.deepEqual(val!.x, [10, 20, 30]);
  assert.deepEqual(val!.y, [0.5, null, 0.8]);
  assert.deepEqual(val!.error_y!.array, [0.1, 0.1, 0.1]);
  assert.equal(fig.layout.yaxis!.type, "log");
  assert.equal(fig.layout.xaxis!.title!.text, "epoch");
  assert.throws(() => linePlot({ name: "bad", x: [1, 2], y: [1, 2, 3] }), /x has 2 values but y has 3/);
});

test("lossCurvePlot: raw and smoothed traces per run", () => {
  const losses = [2, 1.5, 1.8, 1.2, 1.0];
  const fig = lossCurvePlot(losses, { smoothing: 0.5 });
  assert.equal(fig.data.length, 2);
  const [raw, smooth] = fig.data as ScatterTrace[];
  assert.deepEqual(raw!.y, losses);
  assert.deepEqual(smooth!.y, smoothEma(losses, 0.5));
  assert.ok(raw!.opacity! < 1);
  const two = lossCurvePlot([{ name: "lr=1e-3", values: [1, 2] }, { name: "lr=1e-2", values: [3, 4, 5] }], { showRaw: false });
  assert.deepEqual(two.data.map((t) => (t as ScatterTrace).y.length), [2, 3]);
  assert.deepEqual(two.data.map((t) => (t as ScatterTrace).name), ["lr=1e-3", "lr=1e-2"]);
});

test("accuracyVsKPlot: mean ± population std per k, folds as dots, sorted by k", () => {
  const fig = accuracyVsKPlot({ name: "L2", points: [{ k: 5, accuracies: [0.8, 0.9] }, { k: 1, accuracies: [0.7, 0.7, 1.0] }] });
  const [folds, mean] = fig.data as ScatterTrace[];
  assert.deepEqual(folds!.x, [1, 1, 1, 5, 5]);
  assert.deepEqual(mean!.x, [1, 5]);
  close(mean!.y[0]!, 0.8);
  close(mean!.y[1]!, 0.85);
  close(mean!.error_y!.array[0]!, Math.sqrt(0.02)); // deviations −0.1, −0.1, 0.2 → var 0.06/3
  close(mean!.error_y!.array[1]!, 0.05);
});

test("confusionMatrixPlot: z is the matrix, each cell annotated with its count, true on y", () => {
  const matrix = [
    [5, 1, 0],
    [2, 7, 1],
    [0, 3, 9],
  ];
  const names = ["cat", "dog", "bird"];
  const fig = confusionMatrixPlot(matrix, names);
  const heat = fig.data[0] as HeatmapTrace;
  assert.equal(heat.type, "heatmap");
  assert.deepEqual(heat.z, matrix);
  assert.deepEqual(heat.x, names);
  assert.deepEqual(heat.y, names);
  assert.equal(fig.layout.yaxis!.autorange, "reversed");
  assert.equal(fig.layout.yaxis!.title!.text, "true");
  assert.equal(fig.layout.xaxis!.title!.text, "predicted");
  const annotations = fig.layout.annotations as Annotation[];
  assert.equal(annotations.length, 9);
  for (const a of annotations) {
    const i = names.indexOf(a.y as string);
    const j = names.indexOf(a.x as string);
    assert.equal(a.text, String(matrix[i]![j]));
  }
  // Flat row-major input gives the same figure; normalised colours are row fractions.
  assert.deepEqual((confusionMatrixPlot(new Int32Array(matrix.flat()), names).data[0] as HeatmapTrace).z, matrix);
  const normalized = confusionMatrixPlot(matrix, names, { normalize: true });
  close((normalized.data[0] as HeatmapTrace).z[1]![1]!, 0.7);
  assert.equal((normalized.layout.annotations as Annotation[])[4]!.text, "7");
  assert.throws(() => confusionMatrixPlot([[1, 2], [3, 4]], names), /3×3/);
});

test("composeImageGrid: image i lands in its cell, values map to gray levels", () => {
  // Three 2×2 images, 2 per row, 1 px gap, fixed range [0, 1].
  const images = [
    [0, 1, 0.5, 0],
    [1, 1, 1, 1],
    [0.2, 0.4, 0.6, 0.8],
  ];
  const grid = composeImageGrid(images, { columns: 2, gap: 1, range: [0, 1] });
  assert.equal(grid.width, 5);
  assert.equal(grid.height, 5);
  assert.deepEqual(grid.tiles, [
    { row: 0, column: 0, left: 0, top: 0 },
    { row: 0, column: 1, left: 3, top: 0 },
    { row: 1, column: 0, left: 0, top: 3 },
  ]);
  const gray = (x: number, y: number): number => {
    const rgb = pixelAt(grid.pixels, grid.width, x, y);
    assert.equal(rgb[0], rgb[1]);
    assert.equal(rgb[1], rgb[2]);
    return rgb[0];
  };
  assert.equal(gray(0, 0), 0);
  assert.equal(gray(1, 0), 255);
  assert.equal(gray(0, 1), 128); // round(0.5 · 255)
  assert.equal(gray(4, 1), 255); // image 1, bottom-right
  assert.equal(gray(1, 4), Math.round(0.8 * 255)); // image 2, pixel (1, 1)
  assert.equal(gray(2, 0), 255); // gap column is white
  assert.equal(gray(3, 3), 255); // empty cell stays white
  // Inverted gray and automatic range: min → white, max → black.
  const inverted = composeImageGrid([[2, 4, 6, 6]], { colorScale: "gray-inverted" });
  assert.deepEqual(pixelAt(inverted.pixels, inverted.width, 0, 0), [255, 255, 255]);
  assert.deepEqual(pixelAt(inverted.pixels, inverted.width, 1, 0), [128, 128, 128]);
  assert.deepEqual(pixelAt(inverted.pixels, inverted.width, 1, 1), [0, 0, 0]);
  assert.throws(() => composeImageGrid([[0, 1, 2]]), /not square/);
  assert.throws(() => composeImageGrid([[0, NaN, 1, 1]]), /finite/);
});

test("imageGridPlot: one PNG image trace that decodes to the composed pixels; 10×10 MNIST grid stays small", () => {
  const images = Array.from({ length: 6 }, (_, i) => Array.from({ length: 16 }, (_, p) => (p + i) % 5));
  const options = { columns: 3, gap: 2, range: [0, 4] as [number, number], captions: ["a", "b", "c", "d", "e", "f"], rowLabels: ["r0", "r1"] };
  const fig = imageGridPlot(images, options);
  assert.equal(fig.data.length, 1);
  const trace = fig.data[0] as ImageTrace;
  assert.equal(trace.type, "image");
  const decoded = decodePng(trace.source);
  const grid = composeImageGrid(images, { ...options, captionRows: Math.ceil(15 / 2) });
  assert.equal(decoded.width, grid.width);
  assert.equal(decoded.height, grid.height);
  assert.deepEqual(decoded.rgb, grid.pixels);
  // Captions sit under their tile; row labels at row centres.
  const annotations = fig.layout.annotations as Annotation[];
  assert.deepEqual(annotations.map((a) => a.text), options.captions);
  assert.equal(annotations[4]!.x, grid.tiles[4]!.left + 1.5);
  assert.deepEqual(fig.layout.yaxis!.ticktext, ["r0", "r1"]);
  assert.deepEqual(fig.layout.yaxis!.tickvals, [1.5, grid.rowPitch + 1.5]);

  // 100 random-ish 28×28 digits must not cost megabytes (the HTML and JSON each carry it once).
  const mnistLike = new Float32Array(100 * 784).map((_, i) => ((i * 2654435761) % 97 < 20 ? 1 : 0));
  const big = imageGridPlot(mnistLike, { imageShape: [28, 28], columns: 10 });
  const bytes = figureToJson(big).length;
  assert.ok(bytes < 150_000, `10×10 grid figure is ${bytes} bytes`);
});

test("weightTemplatesPlot: [D, C] weights become per-class diverging templates", () => {
  // D = 4 (2×2), C = 2. Column k of W is class k's template.
  const w = new Float32Array([
    1, -2,
    0, 0,
    -1, 2,
    0.5, 1,
  ]);
  const fig = weightTemplatesPlot(w, ["zero", "one"], { gap: 1, scale: 2 });
  const { width, rgb } = decodePng((fig.data[0] as ImageTrace).source);
  // Class 0 template [1, 0, −1, 0.5], scaled to ±1: +1 dark red, 0 near white, −1 dark blue.
  assert.deepEqual(pixelAt(rgb, width, 0, 0), [103, 0, 31]);
  assert.deepEqual(pixelAt(rgb, width, 1, 0), [247, 247, 247]);
  assert.deepEqual(pixelAt(rgb, width, 0, 1), [5, 48, 97]);
  // Class 1 template [−2, 0, 2, 1], tile starts at x = 3 (2 px + 1 gap), scaled to ±2.
  assert.deepEqual(pixelAt(rgb, width, 3, 0), [5, 48, 97]);
  assert.deepEqual(pixelAt(rgb, width, 3, 1), [103, 0, 31]);
  assert.deepEqual((fig.layout.annotations as Annotation[]).map((a) => a.text), ["zero", "one"]);
  // [C, D] layout reads rows instead of columns.
  const rows = weightTemplatesPlot(new Float32Array([1, 0, -1, 0.5, -2, 0, 2, 1]), ["zero", "one"], { gap: 1, scale: 2, layout: "[C, D]" });
  assert.equal((rows.data[0] as ImageTrace).source, (fig.data[0] as ImageTrace).source);
  assert.throws(() => weightTemplatesPlot(new Float32Array(10), ["a", "b"]), /not square|drop the bias/);
});

function toyExamples(): Examples {
  // 3 classes, 2×2 images; every image of class k is filled with k.
  const y = new Int32Array([0, 1, 2, 0, 1, 2, 0, 1, 2, 1]);
  const x = new Float32Array(y.length * 4);
  y.forEach((label, i) => x.fill(label, i * 4, (i + 1) * 4));
  return { x, y, n: y.length, d: 4 };
}

test("classSamplesPlot: row c shows only images of class c, labelled with its name", () => {
  const examples = toyExamples();
  const fig = classSamplesPlot(examples, ["zero", "one", "two"], { perClass: 3, gap: 1, seed: 3 });
  assert.deepEqual(fig.layout.yaxis!.ticktext, ["zero", "one", "two"]);
  const { width, rgb } = decodePng((fig.data[0] as ImageTrace).source);
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 3; col++) {
      // Range 0..2 over the grid: class c → gray round(255 · c / 2).
      assert.deepEqual(pixelAt(rgb, width, col * 3, row * 3), Array(3).fill(Math.round((255 * row) / 2)), `cell ${row},${col}`);
    }
  }
  assert.throws(() => classSamplesPlot(examples, ["zero", "one"]), /examples\.y\[\d+\] = \d+ is not a class index in 0\.\.1/);
});

test("misclassifiedPlot: captions say true → predicted for exactly the wrong ones", () => {
  const examples = toyExamples();
  const predicted = Int32Array.from(examples.y);
  predicted[1] = 2;
  predicted[6] = 1;
  const fig = misclassifiedPlot(examples, predicted, ["zero", "one", "two"], { gap: 1 });
  assert.deepEqual((fig.layout.annotations as Annotation[]).map((a) => a.text), ["one → two", "zero → one"]);
  assert.match(fig.layout.title!.text, /2 of 10/);
  assert.equal(misclassifiedPlot(examples, examples.y, ["zero", "one", "two"]).data.length, 0);
});

test("barPlot and classCountsPlot count per class", () => {
  const fig = classCountsPlot(new Int32Array([0, 2, 2, 1, 2]), ["a", "b", "c"]);
  assert.deepEqual(fig.data[0]!.y, [1, 1, 3]);
  assert.deepEqual(fig.data[0]!.x, ["a", "b", "c"]);
  assert.throws(() => classCountsPlot([0, 3], ["a", "b", "c"]), /labels\[1\] = 3/);
  const grouped = barPlot(["a", "b"], [{ name: "train", values: [3, 4] }, { name: "test", values: [1, 2] }]);
  assert.equal(grouped.data.length, 2);
  assert.equal(grouped.layout.barmode, "group");
  assert.throws(() => barPlot(["a"], [1, 2]), /2 values for 1 categories/);
});

test("decisionRegionPlot: the predicted class over a grid as one small image, plus points per class", () => {
  const data = { x: new Float32Array([-1, 0, -2, 1, 1, 0, 2, -1]), y: new Int32Array([0, 0, 1, 1]) };
  const grid = makeDecisionGrid(data.x, { resolution: 5, padding: 0 });
  assert.deepEqual(grid.xs, [-2, -1, 0, 1, 2]);
  assert.deepEqual(grid.ys, [-1, -0.5, 0, 0.5, 1]);
  assert.deepEqual([grid.points[2], grid.points[3]], [-1, -1]); // point 1 = (xs[1], ys[0])
  const predict = (points: Float32Array): Int32Array => {
    const out = new Int32Array(points.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = points[2 * i]! > 0 ? 1 : 0;
    return out;
  };
  const fig = decisionRegionPlot(data, predict, { resolution: 5, padding: 0, classNames: ["left", "right"] });
  const regions = fig.data[0] as ImageTrace;
  assert.deepEqual([regions.x0, regions.dx, regions.y0, regions.dy], [-2, 1, -1, 0.5]);
  const image = decodePng(regions.source);
  assert.deepEqual([image.width, image.height], [5, 5]);
  const pixel = (r: number, q: number) => pixelAt(image.rgb, 5, q, r).join(",");
  for (let r = 0; r < 5; r++) {
    // x ≤ 0 is class 0 ("left"), x > 0 class 1: columns 0-2 one colour, 3-4 the other.
    assert.equal(new Set([pixel(r, 0), pixel(r, 1), pixel(r, 2)]).size, 1);
    assert.equal(pixel(r, 3), pixel(r, 4));
    assert.notEqual(pixel(r, 2), pixel(r, 3));
  }
  assert.ok(regions.source.length < 1000, "a few hundred bytes, not a JSON grid");
  const [left, right] = fig.data.slice(1) as ScatterTrace[];
  assert.equal(left!.name, "left");
  assert.deepEqual(left!.x, [-1, -2]);
  assert.deepEqual(right!.y, [0, -1]);
  assert.throws(() => decisionRegionPlot(data, () => new Int32Array(3), { resolution: 5 }), /3 labels for 25 grid points/);
});

test("figureMimeBundle: one bundle with Plotly JSON and HTML; script-safe; plotly.js embedded only when given", () => {
  const fig: Figure = linePlot({ name: "x", y: new Float32Array([0.1, 0.2]) }, { title: "</script><b>t" });
  const bundle = figureMimeBundle(fig, { divId: "fig1" });
  assert.deepEqual(Object.keys(bundle.data).sort(), [PLOTLY_MIME_TYPE, "text/html", "text/plain"].sort());
  const json = bundle.data[PLOTLY_MIME_TYPE] as Figure;
  assert.deepEqual((json.data[0] as ScatterTrace).y, [0.1, 0.2]); // float32 noise rounded away
  assert.equal(json.layout.title!.text, "</script><b>t");
  const html = bundle.data["text/html"] as string;
  assert.match(html, /<div id="fig1"/);
  assert.match(html, /Plotly\.newPlot/);
  assert.ok(!html.includes("</script><b>"), "the title must not close the script tag");
  assert.ok(!html.includes("define = undefined"), "no loader without plotlyJs");
  const withLib = figureMimeBundle(fig, { plotlyJs: "window.FAKE_PLOTLY = 1;" }).data["text/html"] as string;
  assert.ok(withLib.indexOf("FAKE_PLOTLY") < withLib.indexOf("Plotly.newPlot"));
  assert.throws(() => figureHtml(fig, { divId: "x\"><script>" }), /divId/);
});

test("plotlyLoaderHtml hides require.js's define while the library runs, then restores it", () => {
  const html = plotlyLoaderHtml("window.defineSeen = typeof define; window.Plotly = {};");
  const scripts = [...html.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  assert.equal(scripts.length, 3);
  const define = Object.assign(() => undefined, { amd: {} });
  const context: Record<string, unknown> = { define };
  context.window = context;
  for (const code of scripts) runInNewContext(code, context);
  assert.equal(context.defineSeen, "undefined");
  assert.equal(context.define, define);
  assert.equal(typeof context.Plotly, "object");
  assert.ok(!("__classifiersDefine" in context));
});

test("show outside a kernel writes nothing and does not throw", () => {
  assert.doesNotThrow(() => show(linePlot({ name: "x", y: [1, 2, 3] })));
});

test("show inside a (simulated) tslab kernel sends one small bundle per figure; plotly.js only after embedPlotlyInNotebook", () => {
  // tslab keeps its display writer on its loaded `dist/jupyter.js` module; stand one in.
  const cache = createRequire(import.meta.url).cache;
  const fakePath = "/simulated/node_modules/tslab/dist/jupyter.js";
  const sent: { data: Record<string, unknown>; update: boolean }[] = [];
  const fake = new Module(fakePath);
  fake.exports = { lastWriteDisplayData: (msg: { data: Record<string, unknown> }, update: boolean) => sent.push({ data: msg.data, update }) };
  fake.loaded = true;
  cache[fakePath] = fake;
  try {
    show(linePlot({ name: "a", y: [1, 2] }));
    show(linePlot({ name: "b", y: [3, 4] }));
    embedPlotlyInNotebook(); // the classic notebook's step
    show(linePlot({ name: "c", y: [5, 6] }));
    show(linePlot({ name: "d", y: [7, 8] }));
  } finally {
    delete cache[fakePath];
  }
  assert.equal(sent.length, 4);
  for (const message of sent) {
    assert.equal(message.update, false);
    assert.ok(PLOTLY_MIME_TYPE in message.data && "text/html" in message.data);
  }
  const html = sent.map((m) => m.data["text/html"] as string);
  for (const i of [0, 1, 3]) assert.ok(!html[i]!.includes("window.define = undefined") && html[i]!.length < 10_000, `figure ${i} carries no plotly.js`);
  assert.ok(html[2]!.includes("window.define = undefined") && html[2]!.includes("plotly.js v2.35.3"));
  assert.ok(html[2]!.length > 1_000_000 && html[2]!.length < 6_000_000, `embedded figure HTML is ${html[2]!.length} chars (expected minified plotly.js)`);
});

test("saveFigureHtml writes a standalone page: escaped title, plotly.js loader, then the figure", async () => {
  const { mkdtempSync, readFileSync, rmSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const { saveFigureHtml } = await import("../lib/src/notebook/display.js");
  const dir = mkdtempSync(join(tmpdir(), "figures-test-"));
  try {
    const path = join(dir, "sub", "fig.html");
    saveFigureHtml(classCountsPlot([0, 1, 1], ["a", "b"], { title: "a < b" }), path);
    const page = readFileSync(path, "utf8");
    assert.match(page, /^<!DOCTYPE html>/);
    assert.ok(page.includes("<title>a &lt; b</title>"));
    const loader = page.indexOf("window.define = undefined");
    assert.ok(loader > 0 && loader < page.indexOf("plotly.js v2.35.3") && page.indexOf("plotly.js v2.35.3") < page.lastIndexOf("Plotly.newPlot"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("histogramCounts bins values and clamps outliers into the end bins", () => {
  const { centers, counts } = histogramCounts([-5, 0, 0.1, 0.49, 0.5, 0.99, 7], 2, [0, 1]);
  assert.deepEqual(centers, [0.25, 0.75]);
  // -5 and 0, 0.1, 0.49 in bin 0; 0.5, 0.99 and 7 in bin 1
  assert.deepEqual(counts, [4, 3]);
  assert.throws(() => histogramCounts([Number.NaN], 2, [0, 1]), /value 0 is NaN/);
  assert.throws(() => histogramCounts([1], 0, [0, 1]), /whole number of bins/);
});

test("histogramPlot draws one line per series over shared bins", () => {
  const fig = histogramPlot([{ name: "a", values: [0, 1, 1] }, { name: "b", values: [2, 2] }], { bins: 2, logY: true });
  assert.equal(fig.data.length, 2);
  const [a, b] = fig.data as { x: number[]; y: number[]; name: string }[];
  // shared range [0, 2] from both series, bins [0, 1) and [1, 2]
  assert.deepEqual(a!.x, [0.5, 1.5]);
  assert.deepEqual(a!.y, [1, 2]);
  assert.deepEqual(b!.y, [0.5, 2]); // the empty bin is drawn at 0.5 on a log axis
  assert.equal(b!.name, "b");
});
