/**
 * `npm run assignment -- <command>`: the instructor's tool for assignment mode (docs/instructors.md).
 *   check                     the manifest, the solution regions, the cases and the probes agree; lists exercises
 *   release [--out DIR]       writes the student version (default release/)
 *   grade <copy>... [options] grades student copies (folders, .tar.gz, .zip): gradebook, feedback, summary
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadCases } from "./cases.js";
import { checkManifest, loadManifest } from "./manifest.js";
import { projectRegions, releaseTargetProblem, writeRelease } from "./release.js";
import { formatStudent, grade, publicExpected } from "./grade.js";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

const GRADE_OPTIONS = {
  out: "folder for the gradebook, feedback and records (default build/assignment/grades)",
  "time-limit": "seconds allowed per test case (default: the manifest's)",
  exercises: "comma-separated exercise names (default all)",
  jobs: "copies graded at the same time (default: the number of cores)",
  sandbox: "auto | bwrap | node | none (default auto: bubblewrap when it works, else Node's permission model)",
  "memory-mb": "address-space limit of a sandboxed process in MB (default 3072)",
  "max-archive-mb": "largest archive accepted (default 50)",
  "max-unpacked-mb": "largest total size an archive may unpack to (default 300)",
} as const;
const GRADE_FLAGS = { unsafe: "allow --sandbox none (student code then runs with your permissions)", regrade: "grade every copy again, even those already graded and unchanged" } as const;

class UsageError extends Error {}

function usageText(): string {
  return [
    "usage: npm run assignment -- check",
    "       npm run assignment -- release [--out DIR]",
    "       npm run assignment -- grade <copy>... [options]",
    "grade options:",
    ...Object.entries(GRADE_OPTIONS).map(([k, v]) => `  --${k.padEnd(16)} ${v}`),
    ...Object.entries(GRADE_FLAGS).map(([k, v]) => `  --${k.padEnd(16)} ${v}`),
  ].join("\n");
}

/** Splits argv into positional arguments, --name value options and --flags; unknown names are errors. */
function parse(argv: string[], known: readonly string[], flags: readonly string[] = []): { positional: string[]; options: Map<string, string>; set: Set<string> } {
  const positional: string[] = [];
  const options = new Map<string, string>();
  const set = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    if (flags.includes(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      set.add(name);
      continue;
    }
    if (!known.includes(name)) {
      const all = [...known, ...flags];
      const near = all.find((k) => k.startsWith(name) || name.startsWith(k));
      throw new UsageError(`unknown option --${name}${near ? `; did you mean --${near}?` : ""} (known: ${all.map((k) => `--${k}`).join(", ")})`);
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith("--"))) throw new UsageError(`--${name} needs a value`);
    if (options.has(name)) throw new UsageError(`--${name} is given twice`);
    options.set(name, value);
  }
  return { positional, options, set };
}

function positiveNumber(options: Map<string, string>, name: string, integer = false): number | undefined {
  if (!options.has(name)) return undefined;
  const text = options.get(name)!;
  const value = Number(text);
  if (!(text.trim() !== "" && Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value)))) {
    throw new UsageError(`--${name} must be a positive ${integer ? "integer" : "number"}, got "${text}"`);
  }
  return value;
}

/** A progress bar on a terminal, else one line per copy. */
function progressReporter(): (done: number, total: number, student: { student: string; points: number; max: number; error?: string }, seconds: number, reused: boolean) => void {
  const tty = process.stderr.isTTY;
  return (done, total, s, seconds, reused) => {
    const what = `${s.student}: ${s.points}/${s.max}${s.error ? ` (${s.error.slice(0, 60)})` : ""} ${reused ? "(unchanged, kept)" : `in ${seconds.toFixed(1)} s`}`;
    if (tty) {
      const width = 24;
      const filled = Math.round((width * done) / total);
      process.stderr.write(`\r\x1b[K[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total}  ${what}${done === total ? "\n" : ""}`);
    } else console.error(`[${done}/${total}] ${what}`);
  };
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case "check": {
      const { positional } = parse(rest, []);
      if (positional.length > 0) throw new UsageError(`check takes no arguments, got ${positional.join(" ")}`);
      const manifest = loadManifest(ROOT);
      const problems = checkManifest(manifest, projectRegions(ROOT, manifest));
      const cases = await loadCases(ROOT, manifest);
      for (const e of manifest.exercises) {
        const mine = cases.filter((c) => c.exercise === e.name);
        const grading = e.grading ?? "cases";
        const how = grading === "cases" ? `${mine.filter((c) => c.visibility === "public").length} public + ${mine.filter((c) => c.visibility === "hidden").length} hidden cases` : grading;
        console.log(`${e.name.padEnd(26)} ${String(e.points).padStart(3)} pts  ${e.file} (${e.functions.join(", ") || "cells"}; ${how})`);
      }
      console.log(`${manifest.exercises.length} exercises, ${manifest.exercises.reduce((s, e) => s + e.points, 0)} points, ${cases.length} cases`);
      if (problems.length > 0) {
        console.error(`problems:\n  ${problems.join("\n  ")}`);
        process.exitCode = 1;
      }
      break;
    }
    case "release": {
      const { positional, options } = parse(rest, ["out"]);
      if (positional.length > 0) throw new UsageError(`release takes no arguments, got ${positional.join(" ")}`);
      const out = resolve(options.get("out") ?? resolve(ROOT, "release"));
      const problem = releaseTargetProblem(ROOT, out);
      if (problem) throw new Error(`refusing to write the release into ${out}: ${problem}`);
      const expected = await publicExpected(ROOT, (line) => console.error(line));
      const summary = writeRelease(ROOT, out, expected);
      console.log(`wrote ${summary.files} files to ${summary.outDir}; stubbed ${summary.exercises.length} exercises in ${summary.stubbedFiles.length} files:`);
      for (const e of summary.exercises) console.log(`  ${e.name} (${e.points} pts, ${e.regions} ${e.regions === 1 ? "region" : "regions"})`);
      break;
    }
    case "grade": {
      const { positional, options, set } = parse(rest, Object.keys(GRADE_OPTIONS), Object.keys(GRADE_FLAGS));
      if (positional.length === 0) throw new UsageError("grade needs at least one student copy (folder, .tar.gz or .zip)");
      const sandbox = options.get("sandbox") ?? "auto";
      if (!["auto", "bwrap", "node", "none"].includes(sandbox)) throw new UsageError(`--sandbox must be auto, bwrap, node or none, got "${sandbox}"`);
      const exercises = options.get("exercises")?.split(",").map((s) => s.trim()).filter((s) => s !== "");
      if (exercises !== undefined && exercises.length === 0) throw new UsageError("--exercises needs at least one exercise name");
      const manifest = loadManifest(ROOT);
      const unknown = (exercises ?? []).filter((name) => !manifest.exercises.some((e) => e.name === name));
      if (unknown.length > 0) throw new UsageError(`unknown exercise ${unknown.map((n) => `"${n}"`).join(", ")}; the exercises are: ${manifest.exercises.map((e) => e.name).join(", ")}`);
      const book = await grade(positional, {
        root: ROOT,
        outDir: options.get("out"),
        timeLimitSeconds: positiveNumber(options, "time-limit"),
        exercises,
        jobs: positiveNumber(options, "jobs", true),
        sandbox: sandbox as "auto" | "bwrap" | "node" | "none",
        unsafe: set.has("unsafe"),
        regrade: set.has("regrade"),
        memoryMb: positiveNumber(options, "memory-mb", true),
        limits: {
          ...(options.has("max-archive-mb") ? { archiveMb: positiveNumber(options, "max-archive-mb")! } : {}),
          ...(options.has("max-unpacked-mb") ? { unpackedMb: positiveNumber(options, "max-unpacked-mb")! } : {}),
        },
        log: (line) => console.error(line),
        progress: progressReporter(),
      });
      for (const student of book.students) console.log(`\n${formatStudent(student)}`);
      console.log(`\nsandbox:   ${book.sandbox}`);
      console.log(`gradebook: ${book.csvPath} (one row per exercise), ${book.testsCsvPath} (one row per test), ${book.jsonPath}`);
      console.log(`feedback:  ${book.feedbackDir}/<student>.md and .html; summary: ${book.summaryPath}`);
      break;
    }
    case undefined:
    case "help":
    case "--help":
      console.log(usageText());
      if (command === undefined) process.exitCode = 2;
      break;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

try {
  await main();
} catch (err) {
  if (err instanceof UsageError) {
    console.error(`assignment: ${err.message}\n${usageText()}`);
    process.exitCode = 2;
  } else {
    // A clear message, no stack trace: every error the tool raises on purpose says what to do.
    console.error(`assignment: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
