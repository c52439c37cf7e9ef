/**
 * Display: shows figures, HTML and Markdown inline in a tslab notebook, and writes figures as
 * standalone HTML pages.
 *
 * A figure goes out as ONE display_data bundle with two representations (what plotly.py's
 * notebook renderer does): `application/vnd.plotly.v1+json`, drawn by JupyterLab's plotly
 * extension and by VS Code even in untrusted notebooks, and `text/html` (a div plus a script
 * calling Plotly.newPlot) for the classic notebook and nbconvert's HTML export. The HTML route
 * needs plotly.js in the page, so the first figure of a kernel session embeds it (hiding
 * require.js's `define`, which would otherwise capture plotly's UMD wrapper); later figures'
 * scripts wait until `window.Plotly` exists.
 *
 * Outside a kernel (tests, scripts) `show` writes nothing; use `figureToHtml`/`saveFigureHtml`.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import type { Figure } from "../viz/index.js";
import { InvalidInputError } from "../core/checks.js";

const requireHere = createRequire(import.meta.url);

/** A Jupyter display_data payload: representations by MIME type, plus metadata. */
export interface MimeBundle {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

export const PLOTLY_MIME_TYPE = "application/vnd.plotly.v1+json";

// ---------------------------------------------------------------------------------------------
// Serialising figures

/**
 * JSON for a figure: typed arrays become plain arrays, non-integers are rounded to 7
 * significant digits (float32 precision) so a loss curve does not carry 17-digit noise,
 * and NaN/Infinity become null (a gap in a line).
 */
export function figureToJson(fig: Figure): string {
  return JSON.stringify(fig, (_key, value: unknown) => {
    if (typeof value === "number") {
      if (!Number.isFinite(value)) return null;
      return Number.isInteger(value) ? value : Number(value.toPrecision(7));
    }
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      return Array.from(value as unknown as ArrayLike<number>);
    }
    return value;
  });
}

/** JSON that is safe inside an inline <script>: no "</script>", no raw U+2028/9. */
function scriptSafeJson(json: string): string {
  return json.replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** Text made safe for HTML content and attribute values. */
export function escapeHtmlText(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/**
 * Script tags that load plotly.js as `window.Plotly` even where require.js is present:
 * `define` is hidden while the library runs and restored afterwards. `source` is the
 * library's JavaScript.
 */
export function plotlyLoaderHtml(source: string): string {
  // A literal "</script" inside the library would end the tag early.
  const safe = source.replace(/<\/(script)/gi, "<\\/$1");
  return [
    "<script type=\"text/javascript\">",
    "window.PlotlyConfig = {MathJaxConfig: 'local'};",
    "window.__classifiersDefine = window.define; window.define = undefined;",
    "</script>",
    "<script type=\"text/javascript\">",
    safe,
    "</script>",
    "<script type=\"text/javascript\">",
    "if (window.__classifiersDefine !== undefined) { window.define = window.__classifiersDefine; }",
    "delete window.__classifiersDefine;",
    "</script>",
  ].join("\n");
}

export interface FigureHtmlOptions {
  /** plotly.js source to embed before the figure (omit when the page already has it). */
  plotlyJs?: string;
  /** Id of the figure's div (default: random). */
  divId?: string;
}

/** An HTML fragment that draws `fig` with Plotly.newPlot once plotly.js and the div exist. */
export function figureHtml(fig: Figure, options: FigureHtmlOptions = {}): string {
  const id = options.divId ?? `fig-${randomUUID()}`;
  if (!/^[A-Za-z][\w-]*$/.test(id)) throw new InvalidInputError("divId", `divId must be letters, digits, _ or -, got "${id}"`);
  const height = typeof fig.layout.height === "number" ? `${fig.layout.height}px` : "450px";
  const width = typeof fig.layout.width === "number" ? `${fig.layout.width}px` : "100%";
  const spec = scriptSafeJson(figureToJson({ data: fig.data, layout: fig.layout, config: fig.config ?? {} }));
  // The classic notebook runs output scripts before attaching the output to the page, and
  // later figures may arrive before plotly.js has run: poll for both, give up after ~30 s.
  const script = `(function () {
  var spec = ${spec};
  var tries = 0;
  function draw() {
    var el = document.getElementById("${id}");
    if (window.Plotly && el) { window.Plotly.newPlot(el, spec.data, spec.layout, spec.config); return; }
    if (++tries < 600) { setTimeout(draw, 50); return; }
    if (el) el.textContent = "This figure needs plotly.js: open the notebook in JupyterLab, Notebook 7 or VS Code, or (classic notebook) run embedPlotlyInNotebook() and then the figure's cell again.";
  }
  draw();
})();`;
  const div = `<div id="${id}" class="plotly-graph-div" style="height:${height}; width:${width}; max-width:100%;"></div>`;
  return [options.plotlyJs !== undefined ? plotlyLoaderHtml(options.plotlyJs) : "", div, `<script type="text/javascript">\n${script}\n</script>`]
    .filter((part) => part !== "")
    .join("\n");
}

function figureSummary(fig: Figure): string {
  const title = fig.layout.title?.text;
  const kinds = [...new Set(fig.data.map((t) => t.type))].join(", ");
  return `Figure${title ? ` "${title}"` : ""} (${fig.data.length} trace${fig.data.length === 1 ? "" : "s"}${kinds ? `: ${kinds}` : ""})`;
}

/**
 * The display_data bundle for a figure: Plotly JSON for JupyterLab/VS Code, HTML (with
 * `plotlyJs` embedded when given) for the classic notebook and HTML export, and a one-line
 * text/plain summary for consoles.
 */
export function figureMimeBundle(fig: Figure, options: FigureHtmlOptions = {}): MimeBundle {
  const plain = JSON.parse(figureToJson({ data: fig.data, layout: fig.layout, config: fig.config ?? {} })) as Record<string, unknown>;
  return {
    data: {
      [PLOTLY_MIME_TYPE]: plain,
      "text/html": figureHtml(fig, options),
      "text/plain": figureSummary(fig),
    },
    metadata: {},
  };
}

// ---------------------------------------------------------------------------------------------
// plotly.js source

let cachedSource: string | undefined;

/**
 * plotly.js's JavaScript for the HTML route: the minified build (`plotly.js-dist-min`, ~4.6 MB,
 * a dependency of this library), or the unminified `plotly.js-dist` bundle (~10 MB) if the
 * minified one is missing. Read once per session.
 */
export function plotlyJsSource(): string {
  if (cachedSource !== undefined) return cachedSource;
  try {
    cachedSource = readFileSync(requireHere.resolve("plotly.js-dist-min/plotly.min.js"), "utf8");
  } catch {
    cachedSource = readFileSync(requireHere.resolve("plotly.js-dist/plotly.js"), "utf8");
  }
  return cachedSource;
}

// ---------------------------------------------------------------------------------------------
// Talking to the tslab kernel

type WriteDisplayData = (data: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient: Record<string, unknown> }, update: boolean) => void;

interface TslabJupyterModule {
  lastWriteDisplayData?: WriteDisplayData | null;
}

function isTslabJupyterModule(value: unknown): value is TslabJupyterModule {
  return typeof value === "object" && value !== null && "lastWriteDisplayData" in value;
}

/**
 * tslab's internal display writer, set while a cell runs. Found among already-loaded modules
 * (the kernel process has loaded tslab; the library never loads it itself, which would cost
 * most of a second in scripts and tests and could pick a different tslab install).
 */
function kernelWriter(): WriteDisplayData | undefined {
  for (const [path, entry] of Object.entries(requireHere.cache)) {
    if (!/[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(path)) continue;
    const mod: unknown = entry?.exports;
    if (isTslabJupyterModule(mod) && typeof mod.lastWriteDisplayData === "function") return mod.lastWriteDisplayData;
  }
  return undefined;
}

/** tslab's public `display` (one MIME type per message), if a kernel is running it. */
function publicDisplay(): { html(s: string): void } | undefined {
  for (const [path, entry] of Object.entries(requireHere.cache)) {
    if (!/[\\/]tslab[\\/]dist[\\/]public\.js$/.test(path)) continue;
    const display = (entry?.exports as { display?: { html?: unknown } } | undefined)?.display;
    if (display && typeof display.html === "function") return display as { html(s: string): void };
  }
  return undefined;
}

/** True while running inside a tslab kernel cell (so `show` has somewhere to draw). */
export function inNotebookKernel(): boolean {
  return kernelWriter() !== undefined;
}

/**
 * Sends a display_data bundle to the notebook. Returns false (and does nothing) outside a
 * kernel. If tslab's internal bundle writer is missing, falls back to its public
 * `display.html` with the bundle's text/html.
 */
export function showMimeBundle(bundle: MimeBundle): boolean {
  const write = kernelWriter();
  if (write) {
    write({ data: bundle.data, metadata: bundle.metadata, transient: {} }, false);
    return true;
  }
  const html = bundle.data["text/html"];
  const display = publicDisplay();
  if (display && typeof html === "string") {
    try {
      display.html(html);
      return true;
    } catch {
      return false; // tslab loaded but not executing a cell
    }
  }
  return false;
}

/** One output in the notebook that can be replaced in place (Jupyter's update_display_data). */
export interface DisplayHandle {
  /** Shows `bundle`: the first call adds the output, later calls replace it. */
  update(bundle: MimeBundle): void;
}

/** A display that updates in place, or undefined outside a tslab kernel cell. */
export function newDisplayHandle(): DisplayHandle | undefined {
  if (!kernelWriter()) return undefined;
  const id = randomUUID();
  let shown = false;
  return {
    update(bundle) {
      // Looked up on every call: tslab swaps its writer per cell execution.
      const write = kernelWriter();
      if (!write) return;
      write({ data: bundle.data, metadata: bundle.metadata, transient: { display_id: id } }, shown);
      shown = true;
    },
  };
}

const PLOTLY_SENT = Symbol.for("classifiers.display.plotlyEmbedded");
/** undefined: nothing asked; false: embed plotly.js into the next figure; true: embedded already. */
type SessionFlags = { [PLOTLY_SENT]?: boolean };

/**
 * Draws a figure inline in the notebook. JupyterLab, Notebook 7 and VS Code draw Plotly's own
 * MIME type; the HTML export gets plotly.js once per page at export time (scripts/run_notebooks.py).
 * So saved notebooks carry only each figure's data, not a copy of plotly.js (a few MB).
 * The classic notebook 6 draws the HTML representation and needs plotly.js in the page: call
 * `embedPlotlyInNotebook()` once there (or set CLASSIFIERS_EMBED_PLOTLY=1), which puts it into
 * the next figure. Outside a kernel it does nothing.
 */
export function show(fig: Figure): void {
  if (!inNotebookKernel() && publicDisplay() === undefined) return;
  const session = globalThis as SessionFlags;
  const embed = session[PLOTLY_SENT] === false || (process.env.CLASSIFIERS_EMBED_PLOTLY === "1" && session[PLOTLY_SENT] === undefined);
  const bundle = figureMimeBundle(fig, embed ? { plotlyJs: plotlyJsSource() } : {});
  if (showMimeBundle(bundle) && embed) session[PLOTLY_SENT] = true;
}

/**
 * For the classic Jupyter notebook 6 (which does not render Plotly's MIME type): the next figure
 * carries plotly.js, so it and every later figure of the session draw. Costs a few MB in the
 * saved notebook; JupyterLab, Notebook 7 and VS Code do not need it.
 */
export function embedPlotlyInNotebook(): void {
  (globalThis as SessionFlags)[PLOTLY_SENT] = false;
}

/** Shows an HTML fragment inline (with `text` as the plain-text fallback). */
export function showHtml(html: string, text?: string): void {
  const data: Record<string, unknown> = { "text/html": html };
  if (text !== undefined) data["text/plain"] = text;
  showMimeBundle({ data, metadata: {} });
}

/** Shows Markdown inline (rendered by the notebook; the raw text is the fallback). */
export function showMarkdown(markdown: string): void {
  showMimeBundle({ data: { "text/markdown": markdown, "text/plain": markdown }, metadata: {} });
}

// ---------------------------------------------------------------------------------------------
// Standalone pages

/** A complete HTML page drawing `fig`, with plotly.js embedded (works offline). */
export function figureToHtml(fig: Figure, options: { title?: string } = {}): string {
  const title = options.title ?? fig.layout.title?.text ?? "Figure";
  return `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>${escapeHtmlText(title)}</title>
</head>
<body>
${figureHtml(fig, { plotlyJs: plotlyJsSource() })}
</body>
</html>
`;
}

/** Writes `figureToHtml(fig)` to `path` (creating its directory). */
export function saveFigureHtml(fig: Figure, path: string, options: { title?: string } = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, figureToHtml(fig, options));
}
