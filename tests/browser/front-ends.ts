/**
 * `npm run test:browser`: every notebook in the front ends people use, in a real browser (Debian's
 * Chromium driven by puppeteer-core, which downloads no browser).
 *
 *   JupyterLab 4  (the project's .venv, scripts/venv.sh): open, run all cells in smoke mode, wait for
 *                 the kernel, save; no error output, as many drawn Plotly plots as figure outputs, the
 *                 tables present; then reopen the saved notebook and check its figures show without
 *                 running anything.
 *   Notebook 7    the same for one notebook.
 *   HTML exports  build/notebooks/NAME.html (made by `npm run notebooks -- --smoke` when missing or
 *                 older than the notebook): every figure drawn, no script errors.
 *
 * Screenshots go to build/screenshots/; one line per notebook and surface is printed; the exit code
 * is 1 when anything failed. Not part of `npm test` (it needs Chromium and the venv; CI runs both).
 * Options: names filter notebooks (`npm run test:browser -- 01 03`); CLASSIFIERS_CHROMIUM sets the
 * browser binary (default /usr/bin/chromium).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import puppeteer, { type Browser, type Page } from "puppeteer-core";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const NOTEBOOKS = join(ROOT, "notebooks");
const WORK = join(ROOT, "build", "browser", "notebooks"); // copies run by the browser (inside the project, so `classifiers` resolves)
const EXPORTS = join(ROOT, "build", "notebooks");
const SHOTS = join(ROOT, "build", "screenshots");
const VENV_BIN = process.env.CLASSIFIERS_VENV_BIN ?? join(ROOT, ".venv", "bin");
const CHROMIUM = process.env.CLASSIFIERS_CHROMIUM ?? "/usr/bin/chromium";
const PLOTLY_MIME = "application/vnd.plotly.v1+json";
/** Per notebook, for running all its cells in smoke mode in the browser. */
const RUN_TIMEOUT_MS = 15 * 60_000;

interface NotebookJson {
  cells: { cell_type: string; outputs?: { output_type: string; ename?: string; evalue?: string; data?: Record<string, unknown> }[] }[];
}

/** What a saved notebook holds: figure and table outputs, and the errors. */
function countOutputs(file: string): { figures: number; tables: number; errors: string[] } {
  const nb = JSON.parse(readFileSync(file, "utf8")) as NotebookJson;
  let figures = 0, tables = 0;
  const errors: string[] = [];
  nb.cells.forEach((cell, i) => {
    for (const out of cell.outputs ?? []) {
      if (out.output_type === "error") errors.push(`cell ${i}: ${out.ename}: ${out.evalue}`);
      if (out.data?.[PLOTLY_MIME]) figures++;
      const html = out.data?.["text/html"];
      if (typeof html === "string" || Array.isArray(html)) {
        const text = Array.isArray(html) ? html.join("") : html;
        if (!out.data?.[PLOTLY_MIME] && text.includes("<table")) tables++;
      }
    }
  });
  return { figures, tables, errors };
}

interface Result {
  surface: string;
  notebook: string;
  ok: boolean;
  detail: string;
  seconds: number;
}
const results: Result[] = [];
function report(r: Result): void {
  results.push(r);
  console.log(`${r.ok ? "ok  " : "FAIL"}  ${r.surface.padEnd(22)} ${r.notebook.padEnd(24)} ${r.seconds.toFixed(0).padStart(4)} s  ${r.detail}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no port"))));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** JupyterLab from the venv on 127.0.0.1, a free port and a fresh token, in smoke mode. */
async function startJupyter(): Promise<{ base: string; token: string; process: ChildProcess; log: () => string }> {
  const jupyterLab = join(VENV_BIN, "jupyter-lab");
  if (!existsSync(jupyterLab)) throw new Error(`${jupyterLab} not found: run \`bash scripts/venv.sh\` (npm run test:browser does)`);
  const port = await freePort();
  const token = randomBytes(16).toString("hex");
  const home = mkdtempSync(join(tmpdir(), "jupyter-browser-test-"));
  // Render every cell (JupyterLab 4 otherwise draws only cells near the viewport), so the
  // figure count of the page is that of the notebook.
  const settings = join(home, "settings", "@jupyterlab", "notebook-extension");
  mkdirSync(settings, { recursive: true });
  writeFileSync(join(settings, "tracker.jupyterlab-settings"), JSON.stringify({ windowingMode: "none" }));
  // no "get notified about Jupyter news?" prompt over the screenshots
  const apputils = join(home, "settings", "@jupyterlab", "apputils-extension");
  mkdirSync(apputils, { recursive: true });
  writeFileSync(join(apputils, "notification.jupyterlab-settings"), JSON.stringify({ fetchNews: "false" }));
  const args = [
    "--no-browser", "--ip=127.0.0.1", `--port=${port}`, `--IdentityProvider.token=${token}`, `--ServerApp.root_dir=${WORK}`,
    "--LabApp.expose_app_in_browser=True", "--JupyterNotebookApp.expose_app_in_browser=True",
    `--LabApp.user_settings_dir=${join(home, "settings")}`, `--LabApp.workspaces_dir=${join(home, "workspaces")}`,
    // nothing fetched from the network (news, update checks, the extension manager's PyPI listing)
    "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.extension_manager=readonly",
  ];
  if (process.getuid?.() === 0) args.push("--allow-root");
  let log = "";
  const child = spawn(jupyterLab, args, {
    cwd: WORK,
    env: {
      ...process.env,
      JUPYTER_PATH: [join(ROOT, ".jupyter", "share", "jupyter"), process.env.JUPYTER_PATH].filter(Boolean).join(":"),
      JUPYTER_CONFIG_DIR: join(home, "config"),
      JUPYTER_RUNTIME_DIR: join(home, "runtime"),
      CLASSIFIERS_SMOKE: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`JupyterLab exited (code ${child.exitCode}):\n${log.slice(-3000)}`);
    try {
      const res = await fetch(`${base}/api/status?token=${token}`);
      if (res.ok) return { base, token, process: child, log: () => log };
    } catch {
      // not listening yet
    }
    await sleep(500);
  }
  child.kill();
  throw new Error(`JupyterLab did not answer on ${base} within 90 s:\n${log.slice(-3000)}`);
}

async function shutdownKernels(base: string, token: string): Promise<void> {
  const sessions = (await (await fetch(`${base}/api/sessions?token=${token}`)).json()) as { id: string }[];
  for (const s of sessions) await fetch(`${base}/api/sessions/${s.id}?token=${token}`, { method: "DELETE" });
}

/** Waits for the page's document to be open with its kernel ready (JupyterLab or Notebook 7). */
async function waitForNotebook(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const app = (window as unknown as { jupyterapp?: { shell: { currentWidget: unknown } } }).jupyterapp;
    const widget = app?.shell.currentWidget as { context?: { isReady: boolean }; sessionContext?: { session?: { kernel?: { status: string } } } } | undefined;
    return !!widget?.context?.isReady && widget.sessionContext?.session?.kernel?.status === "idle";
  }, { timeout: 180_000, polling: 500 });
}

/** Runs all cells, waits for the last to finish, saves. */
async function runAllAndSave(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { jupyterapp: { commands: { execute(id: string): Promise<unknown> } }; __runAll?: string };
    w.__runAll = "running";
    w.jupyterapp.commands.execute("notebook:run-all-cells").then(
      () => (w.__runAll = "done"),
      (e: unknown) => (w.__runAll = `failed: ${String(e)}`),
    );
  });
  await page.waitForFunction(() => (window as unknown as { __runAll?: string }).__runAll !== "running", { timeout: RUN_TIMEOUT_MS, polling: 1000 });
  const state = await page.evaluate(() => (window as unknown as { __runAll?: string }).__runAll);
  if (state !== "done") throw new Error(`run all cells: ${state}`);
  // the kernel may still be sending the last outputs
  await page.waitForFunction(() => {
    const app = (window as unknown as { jupyterapp: { shell: { currentWidget: { sessionContext?: { session?: { kernel?: { status: string } } } } } } }).jupyterapp;
    return app.shell.currentWidget.sessionContext?.session?.kernel?.status === "idle";
  }, { timeout: 120_000, polling: 500 });
  await page.evaluate(async () => {
    await (window as unknown as { jupyterapp: { commands: { execute(id: string): Promise<unknown> } } }).jupyterapp.commands.execute("docmanager:save");
  });
}

/** Drawn Plotly plots and tables in the notebook's output areas, once the count stops changing. */
async function countDrawn(page: Page, expectedPlots: number): Promise<{ plots: number; tables: number }> {
  // The Plotly renderer (jupyterlab-plotly) draws each figure into a .jp-RenderedPlotly output: an
  // interactive plot (its SVG layer), or, in a reopened notebook until the plot is scrolled into view,
  // the PNG snapshot it saved with the notebook. Either way the figure shows; an empty box does not count.
  // Counted inside the open notebook only (JupyterLab keeps other documents' tabs in the page).
  const count = (): Promise<{ plots: number; tables: number }> => page.evaluate(() => {
    const app = (window as unknown as { jupyterapp?: { shell: { currentWidget?: { node: HTMLElement } | null } } }).jupyterapp;
    const root: ParentNode = app?.shell.currentWidget?.node ?? document;
    return {
      plots: Array.from(root.querySelectorAll(".jp-OutputArea-output.jp-RenderedPlotly, .jp-OutputArea .js-plotly-plot"))
        .filter((p) => !p.parentElement?.closest(".jp-RenderedPlotly"))
        .filter((p) => p.querySelector(".main-svg") || p.querySelector("img.plot-img[src^='data:image']")).length,
      tables: root.querySelectorAll(".jp-OutputArea-output table").length,
    };
  });
  let last = await count();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    await sleep(1000);
    const now = await count();
    if (now.plots >= expectedPlots && now.plots === last.plots && now.tables === last.tables) return now;
    last = now;
  }
  return last;
}

async function screenshotFirstFigure(page: Page, file: string): Promise<void> {
  await page.evaluate(() => document.querySelector(".jp-RenderedPlotly, .js-plotly-plot")?.scrollIntoView({ block: "center" }));
  await sleep(500);
  await page.screenshot({ path: file });
}

async function checkInFrontEnd(browser: Browser, base: string, token: string, surface: "JupyterLab 4" | "Notebook 7", name: string): Promise<void> {
  const started = Date.now();
  const stem = name.replace(/\.ipynb$/, "");
  const tag = surface === "JupyterLab 4" ? "lab" : "nb7";
  const url = surface === "JupyterLab 4" ? `${base}/lab/tree/${name}?reset&token=${token}` : `${base}/notebooks/${name}?token=${token}`;
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  try {
    await page.goto(url, { waitUntil: "domcontentloaded", timeout: 120_000 });
    await waitForNotebook(page);
    await runAllAndSave(page);
    const saved = countOutputs(join(WORK, name));
    const drawn = await countDrawn(page, saved.figures);
    await screenshotFirstFigure(page, join(SHOTS, `${tag}-${stem}.png`));
    const problems: string[] = [];
    if (saved.errors.length) problems.push(`error outputs: ${saved.errors.join("; ")}`);
    if (saved.figures === 0) problems.push("no figure outputs");
    if (drawn.plots !== saved.figures) problems.push(`${drawn.plots} plots drawn for ${saved.figures} figure outputs`);
    if (drawn.tables < saved.tables) problems.push(`${drawn.tables} tables shown for ${saved.tables} table outputs`);
    report({ surface: `${surface}, run`, notebook: stem, ok: problems.length === 0, detail: problems.join("; ") || `${saved.figures} figures drawn, ${saved.tables} tables, no errors`, seconds: (Date.now() - started) / 1000 });
  } catch (e) {
    await page.screenshot({ path: join(SHOTS, `${tag}-${stem}-failed.png`) }).catch(() => {});
    report({ surface: `${surface}, run`, notebook: stem, ok: false, detail: (e as Error).message.split("\n")[0]!, seconds: (Date.now() - started) / 1000 });
    await page.close();
    return;
  }
  await page.close();
  await shutdownKernels(base, token);

  if (surface !== "JupyterLab 4") return;
  // reopen the saved, executed notebook: its figures must show without running anything
  const reopened = Date.now();
  const again = await browser.newPage();
  await again.setViewport({ width: 1400, height: 1000 });
  try {
    await again.goto(url, { waitUntil: "domcontentloaded", timeout: 120_000 });
    await again.waitForSelector(".jp-Notebook .jp-OutputArea-output", { timeout: 120_000 });
    const saved = countOutputs(join(WORK, name));
    const drawn = await countDrawn(again, saved.figures);
    await screenshotFirstFigure(again, join(SHOTS, `${tag}-${stem}-reopened.png`));
    const ok = drawn.plots === saved.figures && drawn.tables >= saved.tables;
    report({ surface: `${surface}, reopened`, notebook: stem, ok: ok, detail: `${drawn.plots} of ${saved.figures} figures and ${drawn.tables} of ${saved.tables} tables shown without running`, seconds: (Date.now() - reopened) / 1000 });
  } catch (e) {
    report({ surface: `${surface}, reopened`, notebook: stem, ok: false, detail: (e as Error).message.split("\n")[0]!, seconds: (Date.now() - reopened) / 1000 });
  }
  await again.close();
  await shutdownKernels(base, token);
}

/** Makes HTML exports (smoke mode) for the notebooks whose export is missing or older than the notebook. */
function ensureExports(names: string[]): void {
  const stale = names.filter((n) => {
    const html = join(EXPORTS, n.replace(/\.ipynb$/, ".html"));
    return !existsSync(html) || statSync(html).mtimeMs < statSync(join(NOTEBOOKS, n)).mtimeMs;
  });
  if (stale.length === 0) return;
  console.log(`HTML exports missing or stale for ${stale.join(", ")}: running them headless (smoke mode)...`);
  const python = readFileSync(join(ROOT, ".jupyter", "python"), "utf8").trim();
  const run = spawnSync(python, [join(ROOT, "scripts", "run_notebooks.py"), "--smoke", ...stale.map((n) => n.replace(/\.ipynb$/, ""))], { cwd: ROOT, stdio: "inherit" });
  if (run.status !== 0) throw new Error("the headless runner failed; see above");
}

async function checkHtmlExport(browser: Browser, name: string): Promise<void> {
  const started = Date.now();
  const stem = name.replace(/\.ipynb$/, "");
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  const scriptErrors: string[] = [];
  page.on("pageerror", (e) => scriptErrors.push(e instanceof Error ? e.message : String(e)));
  try {
    const expected = countOutputs(join(EXPORTS, name));
    await page.goto(pathToFileURL(join(EXPORTS, `${stem}.html`)).href, { waitUntil: "load", timeout: 120_000 });
    const drawn = await page.evaluate(() => ({
      plots: Array.from(document.querySelectorAll(".js-plotly-plot")).filter((p) => p.querySelector(".main-svg")).length,
      tables: document.querySelectorAll(".jp-OutputArea-output table, .output_html table").length,
    }));
    await screenshotFirstFigure(page, join(SHOTS, `html-${stem}.png`));
    const problems: string[] = [];
    if (drawn.plots !== expected.figures) problems.push(`${drawn.plots} plots drawn for ${expected.figures} figures`);
    if (drawn.tables < expected.tables) problems.push(`${drawn.tables} tables for ${expected.tables}`);
    if (scriptErrors.length) problems.push(`script errors: ${scriptErrors.join("; ")}`);
    report({ surface: "HTML export", notebook: stem, ok: problems.length === 0, detail: problems.join("; ") || `${drawn.plots} figures drawn, ${drawn.tables} tables, no script errors`, seconds: (Date.now() - started) / 1000 });
  } catch (e) {
    report({ surface: "HTML export", notebook: stem, ok: false, detail: (e as Error).message.split("\n")[0]!, seconds: (Date.now() - started) / 1000 });
  }
  await page.close();
}

async function main(): Promise<void> {
  const filters = process.argv.slice(2);
  const names = readdirSync(NOTEBOOKS).filter((n) => n.endsWith(".ipynb") && (filters.length === 0 || filters.some((f) => n.includes(f)))).sort();
  if (names.length === 0) throw new Error(`no notebooks in ${NOTEBOOKS} match ${filters.join(", ")}`);
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (npm run test:browser does when root) or set CLASSIFIERS_CHROMIUM`);
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  mkdirSync(SHOTS, { recursive: true });
  for (const n of names) copyFileSync(join(NOTEBOOKS, n), join(WORK, n));
  ensureExports(names);

  const jupyter = await startJupyter();
  const profile = mkdtempSync(join(tmpdir(), "chromium-profile-"));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    protocolTimeout: 600_000,
    // as root Chromium needs --no-sandbox; the rest stops background connections this closed network refuses
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    console.log(`JupyterLab at ${jupyter.base}, Chromium ${await browser.version()}; screenshots in build/screenshots/`);
    for (const name of names) await checkInFrontEnd(browser, jupyter.base, jupyter.token, "JupyterLab 4", name);
    // Notebook 7: the smallest notebook that still has figures and tables
    const nb7 = names.includes("04-tuning.ipynb") ? "04-tuning.ipynb" : names[0]!;
    copyFileSync(join(NOTEBOOKS, nb7), join(WORK, nb7));
    await checkInFrontEnd(browser, jupyter.base, jupyter.token, "Notebook 7", nb7);
    for (const name of names) await checkHtmlExport(browser, name);
  } finally {
    await browser.close();
    jupyter.process.kill("SIGTERM");
    rmSync(profile, { recursive: true, force: true });
  }
  const failed = results.filter((r) => !r.ok);
  console.log(`\n${results.length - failed.length} of ${results.length} checks passed`);
  if (failed.length) {
    console.log(`JupyterLab log (last lines):\n${jupyter.log().slice(-2000)}`);
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  console.error(`test:browser: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
