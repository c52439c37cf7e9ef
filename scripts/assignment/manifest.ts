/**
 * The exercise manifest (assignment/exercises.json): which exercises exist, where their solution
 * regions are, which functions' signatures students must keep, which tests grade them and for how
 * many points. `checkManifest` holds it and the markers in the sources to each other.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { findNotebookRegions, findRegions, hasMarkers, type Region } from "./regions.js";

/**
 * How an exercise is graded:
 *   "cases"    (default) by the cases in assignment/tests/ and assignment/hidden/ that name it;
 *   "notebook" by the values its notebook test cell reports through `check(...)`, the notebook run
 *              headless in the sandbox (the test cell's hidden part is stripped from the release);
 *   "manual"   by hand (written answers): the gradebook carries the student's cells.
 */
export type Grading = "cases" | "notebook" | "manual";

export interface Exercise {
  name: string;
  points: number;
  /** Project-relative file holding the exercise's regions (a .ts source or a notebook). */
  file: string;
  /** Exported functions whose declarations (as in the .d.ts) students must not change. */
  functions: string[];
  summary?: string;
  grading?: Grading;
  /**
   * "notebook" grading: ids of the cells to run before the exercise's own cells (the imports, say);
   * default every cell above the exercise.
   */
  setupCells?: string[];
  /** Overrides the manifest's `timeLimitSeconds` for each case (or the notebook) of this exercise. */
  timeLimitSeconds?: number;
}

export interface Manifest {
  /** Folders (project-relative) whose .ts files and notebooks may hold regions; others are copied as they are. */
  regionFolders: string[];
  /** Time limit of one case, seconds. */
  timeLimitSeconds: number;
  /** Time limit of one notebook run (setup, exercise and test cells), seconds. */
  notebookTimeLimitSeconds?: number;
  exercises: Exercise[];
}

export const MANIFEST_PATH = "assignment/exercises.json";

export function loadManifest(root: string): Manifest {
  const manifest = JSON.parse(readFileSync(join(root, MANIFEST_PATH), "utf8")) as Manifest;
  const seen = new Set<string>();
  for (const e of manifest.exercises) {
    if (seen.has(e.name)) throw new Error(`${MANIFEST_PATH}: exercise "${e.name}" is listed twice`);
    seen.add(e.name);
    if (!(e.points > 0)) throw new Error(`${MANIFEST_PATH}: exercise "${e.name}" needs positive points`);
    const grading = e.grading ?? "cases";
    if (!["cases", "notebook", "manual"].includes(grading)) throw new Error(`${MANIFEST_PATH}: exercise "${e.name}": "grading" is "cases", "notebook" or "manual", got ${JSON.stringify(e.grading)}`);
    if (grading !== "cases" && !e.file.endsWith(".ipynb")) throw new Error(`${MANIFEST_PATH}: exercise "${e.name}" is graded as "${grading}", which only notebook cells are`);
    if (grading === "cases" && !e.file.endsWith(".ts")) throw new Error(`${MANIFEST_PATH}: exercise "${e.name}" is in ${e.file}: notebook exercises are graded as "notebook" or "manual"`);
    if (!inRegionFolders(manifest, e.file)) throw new Error(`${MANIFEST_PATH}: exercise "${e.name}" is in ${e.file}, outside regionFolders (${manifest.regionFolders.join(", ")})`);
  }
  return manifest;
}

/** Whether a project-relative file may hold regions. */
export function inRegionFolders(manifest: Manifest, file: string): boolean {
  return /\.(ts|ipynb)$/.test(file) && manifest.regionFolders.some((folder) => file.startsWith(`${folder.replace(/\/$/, "")}/`));
}

/** Regions of one project file, whatever its kind. */
export function regionsOf(path: string, text: string): Region[] {
  if (!hasMarkers(text)) return [];
  return path.endsWith(".ipynb") ? findNotebookRegions(text, path) : findRegions(text, path);
}

/**
 * Problems between the manifest and the regions found in `files` (project-relative paths): every
 * region's exercise is in the manifest with the same file and points, and every exercise has a
 * region. Returns human-readable problems (empty when consistent).
 */
export function checkManifest(manifest: Manifest, regionsByFile: Map<string, Region[]>): string[] {
  const problems: string[] = [];
  const byName = new Map(manifest.exercises.map((e) => [e.name, e]));
  const found = new Set<string>();
  for (const [file, regions] of regionsByFile) {
    for (const r of regions) {
      const e = byName.get(r.exercise);
      if (!e) {
        problems.push(`${file}:${r.begin + 1}: region "${r.exercise}" is not in ${MANIFEST_PATH}`);
        continue;
      }
      found.add(r.exercise);
      if (e.file !== file) problems.push(`${file}:${r.begin + 1}: region "${r.exercise}" is in ${file}, but ${MANIFEST_PATH} says ${e.file}`);
      if (e.points !== r.points) problems.push(`${file}:${r.begin + 1}: region "${r.exercise}" says ${r.points} points, ${MANIFEST_PATH} says ${e.points}`);
    }
  }
  for (const e of manifest.exercises) if (!found.has(e.name)) problems.push(`exercise "${e.name}" has no BEGIN SOLUTION region in ${e.file}`);
  return problems;
}
