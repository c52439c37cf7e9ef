/**
 * The graded cases: every `assignment/tests/*.ts` (public) and, in the instructor's project,
 * `assignment/hidden/*.ts` (hidden), each exporting `default` an array of cases (check-kit.ts).
 * Loaded in the grader's own process, which never loads student code.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Case } from "../../assignment/check-kit.js";
import type { Manifest } from "./manifest.js";

export type Visibility = "public" | "hidden";

export interface LoadedCase extends Case {
  visibility: Visibility;
  /** Project-relative file that defines it. */
  file: string;
  /** "<exercise>: <name>". */
  key: string;
  weight: number;
}

export const PUBLIC_DIR = "assignment/tests";
export const HIDDEN_DIR = "assignment/hidden";
export const PROBES_DIR = "assignment/probes";

async function casesIn(root: string, dir: string, visibility: Visibility): Promise<LoadedCase[]> {
  const folder = join(root, dir);
  if (!existsSync(folder)) return [];
  const out: LoadedCase[] = [];
  for (const name of readdirSync(folder).filter((f) => f.endsWith(".ts")).sort()) {
    const module = (await import(pathToFileURL(join(folder, name)).href)) as { default?: unknown };
    if (!Array.isArray(module.default)) throw new Error(`${dir}/${name}: export default an array of cases (cases(...) from check-kit.ts)`);
    for (const c of module.default as Case[]) {
      out.push({ ...c, visibility, file: `${dir}/${name}`, key: `${c.exercise}: ${c.name}`, weight: c.weight ?? 1 });
    }
  }
  return out;
}

/** Names of every probe the probe files export. */
export async function probeNames(root: string): Promise<Set<string>> {
  const names = new Set<string>();
  const folder = join(root, PROBES_DIR);
  for (const name of readdirSync(folder).filter((f) => f.endsWith(".ts")).sort()) {
    const module = (await import(pathToFileURL(join(folder, name)).href)) as { probes?: Record<string, unknown> };
    for (const probe of Object.keys(module.probes ?? {})) {
      if (names.has(probe)) throw new Error(`${PROBES_DIR}/${name}: a probe named "${probe}" is exported twice`);
      names.add(probe);
    }
  }
  return names;
}

/** Every case, checked against the manifest and the probes; throws naming the first problem. */
export async function loadCases(root: string, manifest: Manifest, options: { hidden?: boolean } = {}): Promise<LoadedCase[]> {
  const all = [...await casesIn(root, PUBLIC_DIR, "public"), ...(options.hidden === false ? [] : await casesIn(root, HIDDEN_DIR, "hidden"))];
  const probes = await probeNames(root);
  const exercises = new Map(manifest.exercises.map((e) => [e.name, e]));
  const seen = new Set<string>();
  for (const c of all) {
    const e = exercises.get(c.exercise);
    if (!e) throw new Error(`${c.file}: case "${c.name}" is for exercise "${c.exercise}", which is not in assignment/exercises.json`);
    if ((e.grading ?? "cases") !== "cases") throw new Error(`${c.file}: case "${c.name}": exercise "${c.exercise}" is graded as "${e.grading}", not by cases`);
    if (!c.name) throw new Error(`${c.file}: a case of "${c.exercise}" has no name`);
    if (seen.has(c.key)) throw new Error(`${c.file}: two cases are named "${c.key}"`);
    seen.add(c.key);
    if (!(c.weight > 0)) throw new Error(`${c.file}: case "${c.key}" needs a positive weight`);
    if (!probes.has(c.probe)) throw new Error(`${c.file}: case "${c.key}" uses probe "${c.probe}", which no file in ${PROBES_DIR}/ exports`);
    if (typeof c.check !== "function") throw new Error(`${c.file}: case "${c.key}" has no check function`);
  }
  for (const e of manifest.exercises) {
    // Every exercise graded by cases has a public one, so students can check themselves.
    if ((e.grading ?? "cases") === "cases" && !all.some((c) => c.exercise === e.name && c.visibility === "public")) {
      throw new Error(`exercise "${e.name}" has no public case in ${PUBLIC_DIR}/`);
    }
  }
  return all;
}
