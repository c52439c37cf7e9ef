/**
 * `npm run tune -- --config study.json [--workers N] [--store DIR | postgres://…] [--worker-only]`
 * runs or resumes a hyperparameter study described by a JSON spec (see tune/examples/), prints a
 * line per finished trial, then the table of trials and a summary per hyperparameter. Everything
 * it does is library code (lib/src/tune), the same that notebook 04 calls; this file only reads
 * the command line. Mistakes (unknown option or hyperparameter, empty range, log scale over
 * zero, negative budget, unreachable database, a study folder another process is running, a
 * damaged trials.jsonl) stop it before any trial runs, exit code 2. Trials that fail (an error,
 * not a divergence) are printed with their reason and run again next time; a study left with
 * failed trials, or without any trial that converged, exits with code 1 and the first reason.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { closestName, InvalidInputError } from "../lib/src/core/checks.js";
import { hyperparameterSummaryRows, trialRows } from "../lib/src/notebook/tune-tables.js";
import { tableText } from "../lib/src/notebook/tables.js";
import {
  defaultWorkerCount,
  describeConfig,
  describeOutcome,
  isFinished,
  isPostgresUrl,
  localStudyStore,
  openJsonlStore,
  openPostgresStore,
  parseStudySpec,
  planWorkers,
  redactUrl,
  runSpecStudy,
  studyConfigs,
  type StudyStore,
  type TrialRecord,
} from "../lib/src/tune/index.js";

const USAGE = `usage: npm run tune -- --config study.json [--workers N] [--store DIR | postgres://…] [--worker-only] [--lease SECONDS] [--import MODULE]
  --config FILE     the study spec (JSON; see tune/examples/svm.json)
  --workers N       worker processes, one backend thread each (default and most: ${defaultWorkerCount()}, the number of cores); 0 runs trials in this process
  --store DIR|URL   a study folder (default build/studies/NAME) or a PostgreSQL URL shared by workers anywhere
  --worker-only     join a study already started in PostgreSQL: claim and run trials until none are left
  --lease SECONDS   PostgreSQL: how long a claimed trial stays claimed without renewal (default 60)
  --import MODULE   a module that registers more objectives (registerObjective), for this process and its workers`;

interface Args {
  config: string;
  workers?: number;
  store?: string;
  workerOnly: boolean;
  lease?: number;
  imports: string[];
}

const FLAGS = ["--config", "--workers", "--store", "--worker-only", "--lease", "--import", "--help"];

function parseArgs(argv: string[]): Args {
  const args: Partial<Args> & { imports: string[]; workerOnly: boolean } = { imports: [], workerOnly: false };
  const seen = new Set<string>();
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new InvalidInputError(flag, `${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const [name, inline] = flag.includes("=") ? [flag.slice(0, flag.indexOf("=")), flag.slice(flag.indexOf("=") + 1)] : [flag, undefined];
    const take = (): string => {
      const v = inline ?? value(i++, name);
      if (v === "") throw new InvalidInputError(name, `${name} needs a value`);
      return v;
    };
    if (name !== "--import" && seen.has(name)) throw new InvalidInputError(name, `${name} is given twice`);
    seen.add(name);
    switch (name) {
      case "--config":
        args.config = take();
        break;
      case "--workers": {
        const raw = take();
        const n = Number(raw);
        if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(n)) throw new InvalidInputError("--workers", `--workers must be a whole number of processes (0 = in this process), got "${raw}"`);
        args.workers = n;
        break;
      }
      case "--store":
        args.store = take();
        break;
      case "--lease": {
        const raw = take();
        const n = Number(raw);
        if (!(n > 0) || !Number.isFinite(n)) throw new InvalidInputError("--lease", `--lease must be a positive number of seconds, got "${raw}"`);
        args.lease = n;
        break;
      }
      case "--import":
        args.imports.push(resolve(take()));
        break;
      case "--worker-only":
        if (inline !== undefined) throw new InvalidInputError(name, `--worker-only takes no value, got "${inline}"`);
        args.workerOnly = true;
        break;
      case "--help":
      case "-h":
        console.log(USAGE);
        process.exit(0);
      default: {
        if (!flag.startsWith("-")) {
          throw new InvalidInputError(flag, `unexpected argument "${flag}"${flag.endsWith(".json") && !args.config ? `; did you mean --config ${flag}?` : "; every value follows its option (--config FILE, --store DIR)"}`);
        }
        const suggestion = closestName(name.replace(/^-+/, ""), FLAGS.map((f) => f.slice(2)));
        throw new InvalidInputError(name, `unknown option "${flag}"${suggestion ? `; did you mean --${suggestion}?` : ""}`);
      }
    }
  }
  if (!args.config) throw new InvalidInputError("--config", "--config study.json is required");
  const postgres = args.store !== undefined && isPostgresUrl(args.store);
  if (args.workerOnly && !postgres) throw new InvalidInputError("--worker-only", "--worker-only joins a study in PostgreSQL: give --store postgres://…");
  if (args.lease !== undefined && !postgres) throw new InvalidInputError("--lease", "--lease is the claim time of a PostgreSQL study: give --store postgres://… (a study folder has no leases)");
  return args as Args;
}

/** The first failed trial, as "trial 3 (learningRate=-0.1): learningRate must be …". */
const firstReason = (trials: readonly TrialRecord[]): string => {
  const t = trials[0]!;
  return `trial ${t.id + 1} (${describeConfig(t.config)}): ${describeOutcome(t).replace(/^(failed|diverged): /, "")}`;
};

/** The command: prints progress and results, returns the exit code (2: nothing ran, a mistake; 1: trials failed or none converged). */
export async function main(argv: string[]): Promise<number> {
  let store: StudyStore | undefined;
  try {
    // Everything that can be wrong is checked here, before the first trial.
    const args = parseArgs(argv);
    for (const module of args.imports) {
      try {
        await import(pathToFileURL(module).href);
      } catch (err) {
        throw new InvalidInputError("--import", `cannot import ${module}: ${(err as Error).message}`);
      }
    }
    let text: string;
    try {
      text = readFileSync(args.config, "utf8");
    } catch (err) {
      throw new InvalidInputError("--config", `cannot read ${args.config}: ${(err as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new InvalidInputError("--config", `${args.config} is not valid JSON: ${(err as Error).message}`);
    }
    const spec = parseStudySpec(json, args.config);
    const configs = studyConfigs(spec);
    const target = args.store ?? `build/studies/${spec.name}`;
    if (isPostgresUrl(target)) {
      const pgStore = await openPostgresStore(target, { study: spec.name, spec, ...(args.lease ? { leaseSeconds: args.lease } : {}) });
      store = pgStore;
      if (args.workerOnly && !(await pgStore.exists())) {
        throw new InvalidInputError("--worker-only", `${pgStore.location}: no such study yet; start it once without --worker-only`);
      }
    } else {
      // Checked and locked now, before workers start: a damaged trials.jsonl, trials of another
      // study, or another process running this folder stop here (runStudy's prepare is then a no-op).
      store = localStudyStore(openJsonlStore(target));
      await store.prepare(configs);
    }
    const plan = planWorkers(args.workers ?? defaultWorkerCount(), configs.length);
    if (plan.note) console.error(`tune: warning: --workers ${args.workers}: ${plan.note}`);
    const workers = plan.workers;
    console.log(`study ${spec.name}: ${configs.length} trials of the ${spec.objective} objective, ${workers === 0 ? "in this process" : `${workers} worker process${workers === 1 ? "" : "es"}`}, store ${store.location}`);
    const started = performance.now();
    const result = await runSpecStudy(spec, { workers, store, modules: args.imports });
    const minutes = (performance.now() - started) / 60000;
    const finished = result.trials.filter(isFinished);
    const failed = result.failed.length > 0 ? `, ${result.failed.length} failed` : "";
    console.log(`\n${result.ran} trials run here in ${(minutes * 60).toFixed(1)} s (${(result.ran / minutes).toFixed(1)} per minute); ${result.resumed} already finished; ${finished.length} of ${configs.length} finished in all${failed}`);
    if (result.trials.length > 0) {
      console.log("\n" + tableText(trialRows(result.trials), { title: "Trials, best validation accuracy first", digits: 4, maxRows: 40 }));
      console.log("\n" + tableText(hyperparameterSummaryRows(result.trials), { title: "By hyperparameter", digits: 4 }));
    }
    if (result.best) console.log(`\nbest: trial ${result.best.id + 1}, validation accuracy ${result.best.validationAccuracy!.toFixed(4)}`);
    if (result.failed.length > 0) {
      const all = finished.length === 0;
      console.error(
        `tune: ${all ? `every trial failed (${result.failed.length})` : `${result.failed.length} of ${configs.length} trials failed`}; the first, ${firstReason(result.failed)}` +
          (all ? "" : `\ntune: the failed trials run again the next time this study runs (the same command)`),
      );
      return 1;
    }
    if (!result.best && finished.length > 0) {
      console.error(`tune: no trial converged: all ${finished.length} diverged; the first, ${firstReason(finished)}. Lower the learning rates of the space.`);
      return 1;
    }
    return 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`tune: ${argv.some(isPostgresUrl) ? redactSecrets(message, argv) : message}`);
    if (err instanceof InvalidInputError && /^--/.test(err.argument)) console.error(USAGE);
    return err instanceof InvalidInputError || /cannot reach the study database/.test(message) ? 2 : 1;
  } finally {
    await store?.close().catch(() => {});
  }
}

/** A message with any database URL of the command line in it replaced by its redacted form. */
function redactSecrets(message: string, argv: readonly string[]): string {
  let text = message;
  for (const arg of argv) {
    const url = arg.startsWith("--store=") ? arg.slice("--store=".length) : arg;
    if (isPostgresUrl(url)) text = text.split(url).join(redactUrl(url));
  }
  return text;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  // Stopped (Ctrl-C, a scheduler's SIGTERM): exit through process.exit, so the study folder's lock
  // is released (its exit hook) and the workers, whose channel closes, leave too.
  process.once("SIGINT", () => process.exit(130));
  process.once("SIGTERM", () => process.exit(143));
  process.exitCode = await main(process.argv.slice(2));
}
