/**
 * The grading folder a sandbox sees as /g: JavaScript only, transpiled by the grader, so the
 * sandboxed process needs no TypeScript loader (which would start processes and worker threads):
 *
 *   /g/package.json                   {"type": "module"}
 *   /g/scripts/assignment/runner.js   the runner and values.js (the grader's own code)
 *   /g/assignment/probes/*.js         the probes and probe-kit.js (public)
 *   /g/lib/package.json, /g/lib/dist  the library: the release's files, with the student's versions of
 *                                     the files that hold exercises laid over them
 *   /g/node_modules                   the project's packages (mounted read-only by the sandbox)
 *
 * The release's library and the harness are transpiled once into build/assignment/cache/ (keyed by
 * content); a student's view links to them and adds only their exercise files.
 */
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import ts from "typescript";
import { releaseContent } from "./release.js";
import type { Manifest } from "./manifest.js";

export const GRADER_VERSION = "3";

export function hashOf(...parts: (string | Buffer)[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(typeof p === "string" ? p : p).update("\0");
  return h.digest("hex").slice(0, 20);
}

interface Esbuild {
  transformSync(input: string, options: { loader: "ts"; format: "esm"; target: string; sourcefile: string }): { code: string };
}

/** esbuild (tsx's transpiler, ~100× faster than TypeScript's per file), when it is installed. */
let esbuild: Esbuild | null | undefined;
async function loadEsbuild(): Promise<void> {
  if (esbuild !== undefined) return;
  try {
    esbuild = (await import("esbuild" as string)) as Esbuild;
  } catch {
    esbuild = null;
  }
}
await loadEsbuild();

/** TypeScript -> JavaScript of one file; a syntax error becomes a module that throws it when imported. */
export function transpile(source: string, fileName: string): { code: string; error?: string } {
  if (esbuild) {
    try {
      return { code: esbuild.transformSync(source, { loader: "ts", format: "esm", target: "es2022", sourcefile: fileName }).code };
    } catch (err) {
      const first = (err as { errors?: { text: string; location?: { line: number; column: number } }[] }).errors?.[0];
      const error = first ? `${fileName}:${first.location ? `${first.location.line}:${first.location.column + 1}: ` : " "}${first.text}` : `${fileName}: ${(err as Error).message.split("\n")[0]}`;
      return { code: `throw new SyntaxError(${JSON.stringify(error)});\n`, error };
    }
  }
  const out = ts.transpileModule(source, {
    fileName,
    reportDiagnostics: true,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, sourceMap: false, removeComments: false },
  });
  const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length === 0) return { code: out.outputText };
  const first = errors[0]!;
  const where = first.file && first.start !== undefined ? (() => {
    const { line, character } = first.file.getLineAndCharacterOfPosition(first.start);
    return `${fileName}:${line + 1}:${character + 1}: `;
  })() : `${fileName}: `;
  const error = `${where}${ts.flattenDiagnosticMessageText(first.messageText, " ")}`;
  return { code: `throw new SyntaxError(${JSON.stringify(error)});\n`, error };
}

function writeAtomically(dir: string, fill: (tmp: string) => void): void {
  if (existsSync(dir)) return;
  const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true, mode: 0o755 });
  fill(tmp);
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another job made it first
  }
}

function writeFile(path: string, text: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  writeFileSync(path, text, { mode: 0o644 });
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(full);
    }
  };
  walk(dir);
  return out.sort();
}

export interface Caches {
  /** The release's library, transpiled: <lib>/package.json and <lib>/dist/**.js. */
  lib: string;
  /** The runner and the probes, transpiled, in the project's layout. */
  harness: string;
  /** A digest of both, for reference-value caching. */
  key: string;
}

/** Transpiles the release's lib/src and the harness into build/assignment/cache/ (once per content). */
export function buildCaches(root: string, manifest: Manifest): Caches {
  const cacheRoot = join(root, "build", "assignment", "cache");
  mkdirSync(cacheRoot, { recursive: true, mode: 0o755 });
  const libSrc = join(root, "lib", "src");
  const libFiles = tsFiles(libSrc).map((f) => ({ rel: relative(libSrc, f), data: releaseContent(manifest, `lib/src/${relative(libSrc, f).split("\\").join("/")}`, readFileSync(f)).data }));
  const libPackage = readFileSync(join(root, "lib", "package.json"));
  const libKey = hashOf(GRADER_VERSION, ts.version, esbuild ? "esbuild" : "tsc", libPackage, ...libFiles.flatMap((f) => [f.rel, f.data]));
  const lib = join(cacheRoot, `lib-${libKey}`);
  writeAtomically(lib, (tmp) => {
    writeFile(join(tmp, "package.json"), libPackage);
    for (const f of libFiles) writeFile(join(tmp, "dist", f.rel.replace(/\.ts$/, ".js")), transpile(f.data.toString("utf8"), `lib/src/${f.rel}`).code);
  });
  const harnessFiles = [
    "scripts/assignment/runner.ts",
    "scripts/assignment/values.ts",
    "assignment/probe-kit.ts",
    ...readdirSync(join(root, "assignment", "probes")).filter((f) => f.endsWith(".ts")).sort().map((f) => `assignment/probes/${f}`),
  ].map((rel) => ({ rel, data: readFileSync(join(root, rel)) }));
  const harnessKey = hashOf(GRADER_VERSION, ts.version, esbuild ? "esbuild" : "tsc", ...harnessFiles.flatMap((f) => [f.rel, f.data]));
  const harness = join(cacheRoot, `harness-${harnessKey}`);
  writeAtomically(harness, (tmp) => {
    writeFile(join(tmp, "package.json"), '{ "type": "module" }\n');
    for (const f of harnessFiles) {
      const { code, error } = transpile(f.data.toString("utf8"), f.rel);
      if (error) throw new Error(`the grader's own ${error}`);
      writeFile(join(tmp, f.rel.replace(/\.ts$/, ".js")), code);
    }
  });
  return { lib, harness, key: hashOf(libKey, harnessKey) };
}

/** Hard-links (else copies) every file of `from` into `to`. */
function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true, mode: 0o755 });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) linkTree(src, dst);
    else {
      try {
        linkSync(src, dst);
      } catch {
        copyFileSync(src, dst);
      }
    }
  }
}

/**
 * A student's grading folder: the caches linked in, `overlay` (lib/src-relative .ts path -> the
 * student's TypeScript) transpiled over the release's files. Returns per-file transpile errors.
 * `packageLinks` (the node fallback only): node_modules as links to these package folders.
 */
export function makeView(view: string, caches: Caches, overlay: Map<string, string>, packageLinks?: string[]): Map<string, string> {
  rmSync(view, { recursive: true, force: true });
  mkdirSync(view, { recursive: true, mode: 0o755 });
  chmodSync(view, 0o755);
  linkTree(caches.harness, view);
  linkTree(caches.lib, join(view, "lib"));
  const errors = new Map<string, string>();
  for (const [rel, source] of overlay) {
    const target = join(view, "lib", "dist", rel.replace(/\.ts$/, ".js"));
    const { code, error } = transpile(source, `lib/src/${rel}`);
    if (error) errors.set(rel, error);
    rmSync(target, { force: true }); // a hard link to the cache: replace, never write through
    writeFile(target, code);
  }
  mkdirSync(join(view, "node_modules"), { mode: 0o755 });
  for (const pkg of packageLinks ?? []) {
    const name = pkg.split("/node_modules/").pop()!;
    mkdirSync(dirname(join(view, "node_modules", name)), { recursive: true });
    symlinkSync(pkg, join(view, "node_modules", name));
  }
  return errors;
}
