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

/** Cheap test before parsing: does this text contain a marker at all? */
export function hasMarkers(text: string): boolean {
  // (plain text search: in a notebook's JSON the marker lines are inside quoted strings)
  return /\b(BEGIN|END) SOLUTION\b/.test(text);
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

/**
 * The notebook with every region stubbed, serialised the way Jupyter writes notebooks (one-space
 * indent, trailing newline), so a notebook without regions would come out byte-identical.
 */
export function stubNotebook(json: string, where: string): { text: string; regions: Region[] } {
  const notebook = JSON.parse(json) as NotebookJson;
  const regions: Region[] = [];
  notebook.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    const stubbed = stubText(cellText(cell.source), `${where} cell ${i + 1}`);
    if (stubbed.regions.length === 0) return;
    regions.push(...stubbed.regions);
    cell.source = cellSource(stubbed.text);
  });
  return { text: regions.length === 0 ? json : `${JSON.stringify(notebook, null, 1)}\n`, regions };
}
