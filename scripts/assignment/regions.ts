/**
 * Solution regions: finding them in TypeScript sources and notebook cells, and replacing each by
 * the stub students get. A region is a run of whole lines
 *
 *     // BEGIN SOLUTION <exercise-name> (<points> pts)
 *     ...the instructor's code...
 *     // END SOLUTION
 *
 * and its stub keeps the BEGIN line's indentation:
 *
 *     // YOUR CODE HERE (<exercise-name>, <points> pts)
 *     throw new Error("not implemented yet: <exercise-name>");
 *
 * Regions sit inside a function body, after its argument checks, so the signature, the doc comment
 * above it and the checks all stay: a `throw` keeps any declared return type valid. Code after a
 * region may stay (it becomes unreachable) but must not use names the region declared.
 */

/** One marked region: lines `begin`..`end` (0-based, both marker lines included). */
export interface Region {
  exercise: string;
  points: number;
  begin: number;
  end: number;
  indent: string;
}

export class RegionError extends Error {
  constructor(where: string, line: number, why: string) {
    super(`${where}:${line + 1}: ${why}`);
    this.name = "RegionError";
  }
}

const BEGIN = /^(\s*)\/\/\s*BEGIN SOLUTION\b(.*)$/;
const BEGIN_EXACT = /^ ([a-z0-9]+(?:-[a-z0-9]+)*) \((\d+(?:\.\d+)?) pts?\)\s*$/;
const END = /^\s*\/\/\s*END SOLUTION\s*$/;
/** Any comment line mentioning a marker, to catch misspelt ones. */
const ANY_MARKER = /^\s*\/\/.*\b(BEGIN|END) SOLUTION\b/m;

/** Cheap test before parsing: does this text contain a marker at all (solution regions, hidden tests)? */
export function hasMarkers(text: string): boolean {
  // (plain text search: in a notebook's JSON the marker lines are inside quoted strings)
  return /\b(BEGIN|END) (SOLUTION|HIDDEN TESTS)\b/.test(text);
}

const BEGIN_HIDDEN = /^\s*\/\/\s*BEGIN HIDDEN TESTS\s*$/;
const END_HIDDEN = /^\s*\/\/\s*END HIDDEN TESTS\s*$/;
const ANY_HIDDEN = /\b(BEGIN|END) HIDDEN TESTS\b/;

/**
 * A notebook test cell without its hidden blocks (what the release keeps): the lines from
 * `// BEGIN HIDDEN TESTS` to `// END HIDDEN TESTS` become one comment saying hidden tests exist.
 */
export function stripHiddenTests(source: string, where: string): string {
  const out: string[] = [];
  let hidden = false;
  let opened = 0;
  source.split("\n").forEach((line, i) => {
    if (BEGIN_HIDDEN.test(line)) {
      if (hidden) throw new RegionError(where, i, "BEGIN HIDDEN TESTS inside a hidden block");
      hidden = true;
      opened = i;
      out.push(line.replace(/BEGIN HIDDEN TESTS.*/, "(hidden tests run when the assignment is graded)"));
      return;
    }
    if (END_HIDDEN.test(line)) {
      if (!hidden) throw new RegionError(where, i, "END HIDDEN TESTS without a BEGIN HIDDEN TESTS");
      hidden = false;
      return;
    }
    if (ANY_HIDDEN.test(line)) throw new RegionError(where, i, `malformed hidden-tests marker "${line.trim()}"`);
    if (!hidden) out.push(line);
  });
  if (hidden) throw new RegionError(where, opened, "this BEGIN HIDDEN TESTS block is not closed");
  return out.join("\n");
}

const TESTS = /^\s*\/\/\s*TESTS\s+([a-z0-9]+(?:-[a-z0-9]+)*)\s*$/;

/** The exercise a notebook test cell tests (its first line is "// TESTS <exercise>"), else undefined. */
export function testCellExercise(source: string): string | undefined {
  const first = source.split("\n").find((l) => l.trim() !== "");
  return first === undefined ? undefined : TESTS.exec(first)?.[1];
}

/** The regions of a text, in order; throws a `RegionError` naming the line for malformed markers. */
export function findRegions(text: string, where: string): Region[] {
  const lines = text.split("\n");
  const regions: Region[] = [];
  let open: Omit<Region, "end"> | undefined;
  lines.forEach((line, i) => {
    const begin = BEGIN.exec(line);
    if (begin) {
      if (open) throw new RegionError(where, i, `BEGIN SOLUTION inside the region of "${open.exercise}" opened on line ${open.begin + 1} (regions do not nest)`);
      const exact = BEGIN_EXACT.exec(begin[2]!);
      if (!exact) throw new RegionError(where, i, `write the marker as "// BEGIN SOLUTION <exercise-name> (<points> pts)" with a lower-case, dash-separated name; got "${line.trim()}"`);
      open = { exercise: exact[1]!, points: Number(exact[2]), begin: i, indent: begin[1]! };
      return;
    }
    if (END.test(line)) {
      if (!open) throw new RegionError(where, i, "END SOLUTION without a BEGIN SOLUTION before it");
      regions.push({ ...open, end: i });
      open = undefined;
      return;
    }
    if (ANY_MARKER.test(line)) throw new RegionError(where, i, `malformed solution marker "${line.trim()}"`);
  });
  if (open) throw new RegionError(where, open.begin, `the region of "${open.exercise}" has no END SOLUTION`);
  return regions;
}

/** The stub lines that replace one region. */
export function stubLines(region: Region): string[] {
  const points = `${region.points} ${region.points === 1 ? "pt" : "pts"}`;
  return [
    `${region.indent}// YOUR CODE HERE (${region.exercise}, ${points})`,
    `${region.indent}throw new Error(${JSON.stringify(`not implemented yet: ${region.exercise}`)});`,
  ];
}

/** The text with every region replaced by its stub, and the regions that were replaced. */
export function stubText(text: string, where: string): { text: string; regions: Region[] } {
  const regions = findRegions(text, where);
  if (regions.length === 0) return { text, regions };
  const lines = text.split("\n");
  const out: string[] = [];
  let next = 0;
  for (const region of regions) {
    out.push(...lines.slice(next, region.begin), ...stubLines(region));
    next = region.end + 1;
  }
  out.push(...lines.slice(next));
  return { text: out.join("\n"), regions };
}

/** The parts of a notebook this tool reads and writes (everything else passes through untouched). */
interface NotebookJson {
  cells: { cell_type: string; source: string | string[] }[];
  [key: string]: unknown;
}

function cellText(source: string | string[]): string {
  return Array.isArray(source) ? source.join("") : source;
}

/** Jupyter's on-disk form of a cell's source: lines that keep their "\n", the last without. */
function cellSource(text: string): string[] {
  const parts = text.split("\n");
  return parts.map((line, i) => (i < parts.length - 1 ? `${line}\n` : line)).filter((line, i, all) => line !== "" || i < all.length - 1);
}

/** Regions in a notebook's code cells; `where` names the cell (1-based, counting every cell). */
export function findNotebookRegions(json: string, where: string): Region[] {
  const notebook = JSON.parse(json) as NotebookJson;
  return notebook.cells.flatMap((cell, i) => (cell.cell_type === "code" ? findRegions(cellText(cell.source), `${where} cell ${i + 1}`) : []));
}

/** Whether any code cell of a notebook still has hidden tests. */
export function hasHiddenTests(json: string): boolean {
  const notebook = JSON.parse(json) as NotebookJson;
  return notebook.cells.some((cell) => cell.cell_type === "code" && ANY_HIDDEN.test(cellText(cell.source)));
}

/**
 * The notebook with every region stubbed and every test cell's hidden blocks stripped, serialised
 * the way Jupyter writes notebooks (one-space indent, trailing newline), so a notebook without
 * either would come out byte-identical.
 */
export function stubNotebook(json: string, where: string): { text: string; regions: Region[] } {
  const notebook = JSON.parse(json) as NotebookJson;
  const regions: Region[] = [];
  let changed = false;
  notebook.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    const source = cellText(cell.source);
    const stubbed = stubText(source, `${where} cell ${i + 1}`);
    const stripped = ANY_HIDDEN.test(stubbed.text) ? stripHiddenTests(stubbed.text, `${where} cell ${i + 1}`) : stubbed.text;
    if (stripped === source) return;
    regions.push(...stubbed.regions);
    cell.source = cellSource(stripped);
    changed = true;
  });
  return { text: changed ? `${JSON.stringify(notebook, null, 1)}\n` : json, regions };
}
