/**
 * `npm run assignment -- <command>`: the instructor's tool for assignment mode (README, "For instructors").
 *   check                       the manifest and the solution regions agree; lists exercises and points
 *   release [--out DIR]         writes the student version (default release/)
 *   grade <copy>... [--out DIR] [--time-limit S] [--exercises a,b] [--backend NAME] [--jobs N]
 *                               grades student copies (folders, .tar.gz, .zip); writes gradebook.csv/.json
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checkManifest, loadManifest } from "./manifest.js";
import { projectRegions, writeRelease } from "./release.js";
import { formatStudent, grade } from "./grade.js";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

function usage(message?: string): never {
  if (message) console.error(`assignment: ${message}`);
  console.error("usage: npm run assignment -- check | release [--out DIR] | grade <copy>... [--out DIR] [--time-limit S] [--exercises a,b] [--backend NAME] [--jobs N]");
  process.exit(2);
}

/** Splits argv into positional arguments and --name value options. */
function parse(argv: string[], known: readonly string[]): { positional: string[]; options: Map<string, string> } {
  const positional: string[] = [];
  const options = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split("=", 2) as [string, string | undefined];
    if (!known.includes(name)) usage(`unknown option --${name}`);
    const value = inline ?? argv[++i];
    if (value === undefined) usage(`--${name} needs a value`);
    options.set(name, value);
  }
  return { positional, options };
}

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case "check": {
    const manifest = loadManifest(ROOT);
    const problems = checkManifest(manifest, projectRegions(ROOT, manifest));
    for (const e of manifest.exercises) console.log(`${e.name.padEnd(26)} ${String(e.points).padStart(3)} pts  ${e.file} (${e.functions.join(", ")})`);
    console.log(`${manifest.exercises.length} exercises, ${manifest.exercises.reduce((s, e) => s + e.points, 0)} points`);
    if (problems.length > 0) {
      console.error(`problems:\n  ${problems.join("\n  ")}`);
      process.exit(1);
    }
    break;
  }
  case "release": {
    const { positional, options } = parse(rest, ["out"]);
    if (positional.length > 0) usage(`release takes no arguments, got ${positional.join(" ")}`);
    const summary = writeRelease(ROOT, resolve(options.get("out") ?? resolve(ROOT, "release")));
    console.log(`wrote ${summary.files} files to ${summary.outDir}; stubbed ${summary.exercises.length} exercises in ${summary.stubbedFiles.length} files:`);
    for (const e of summary.exercises) console.log(`  ${e.name} (${e.points} pts, ${e.regions} ${e.regions === 1 ? "region" : "regions"})`);
    break;
  }
  case "grade": {
    const { positional, options } = parse(rest, ["out", "time-limit", "exercises", "backend", "jobs"]);
    if (positional.length === 0) usage("grade needs at least one student copy (folder, .tar.gz or .zip)");
    const limit = options.has("time-limit") ? Number(options.get("time-limit")) : undefined;
    if (limit !== undefined && !(limit > 0)) usage(`--time-limit must be a positive number of seconds, got ${options.get("time-limit")}`);
    const jobs = options.has("jobs") ? Number(options.get("jobs")) : undefined;
    if (jobs !== undefined && !(Number.isInteger(jobs) && jobs >= 1)) usage(`--jobs must be a positive integer, got ${options.get("jobs")}`);
    const book = await grade(positional, {
      root: ROOT,
      outDir: options.get("out"),
      timeLimitSeconds: limit,
      exercises: options.get("exercises")?.split(",").map((s) => s.trim()).filter((s) => s !== ""),
      backend: options.get("backend"),
      jobs,
      log: (line) => console.error(line),
    });
    for (const student of book.students) console.log(`\n${formatStudent(student)}`);
    console.log(`\ngradebook: ${book.csvPath}\n           ${book.jsonPath}`);
    break;
  }
  default:
    usage(command ? `unknown command "${command}"` : undefined);
}
