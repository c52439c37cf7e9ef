/**
 * `npm run tune -- --config study.json [--workers N] [--store DIR | postgres://…] [--worker-only]`
 * runs or resumes a hyperparameter study described by a JSON spec (see tune/examples/), prints a
 * line per finished trial, then the table of trials and a summary per hyperparameter. Everything
 * it does is library code (lib/src/tune), the same that notebook 04 calls; this file only reads
 * the command line. Mistakes (unknown option or hyperparameter, empty range, log scale over
 * zero, negative budget, unreachable database) stop it before any trial runs, exit code 2.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { InvalidInputError } from "../lib/src/core/checks.js";
import { hyperparameterSummaryRows, trialRows } from "../lib/src/notebook/tune-tables.js";
import { tableText } from "../lib/src/notebook/tables.js";
import {
  defaultWorkerCount,
  isPostgresUrl,
  openJsonlStore,
  openPostgresStore,
  parseStudySpec,
  runSpecStudy,
  studyConfigs,
  type StudyStore,
  type TrialStore,
} from "../lib/src/tune/index.js";

const USAGE = `usage: npm run tune -- --config study.json [--workers N] [--store DIR | postgres://…] [--worker-only] [--lease SECONDS] [--import MODULE]
  --config FILE     the study spec (JSON; see tune/examples/svm.json)
  --workers N       worker processes, one backend thread each (default: ${defaultWorkerCount()}, the number of cores); 0 runs trials in this process
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

function parseArgs(argv: string[]): Args {
  const args: Partial<Args> & { imports: string[]; workerOnly: boolean } = { imports: [], workerOnly: false };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new InvalidInputError(flag, `${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const [name, inline] = flag.includes("=") ? [flag.slice(0, flag.indexOf("=")), flag.slice(flag.indexOf("=") + 1)] : [flag, undefined];
    const take = (): string => inline ?? value(i++, name);
    switch (name) {
      case "--config":
        args.config = take();
        break;
      case "--workers": {
        const raw = take();
        const n = Number(raw);
        if (!Number.isInteger(n) || n < 0) throw new InvalidInputError("--workers", `--workers must be a whole number of processes (0 = in this process), got "${raw}"`);
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
        args.workerOnly = true;
        break;
      case "--help":
      case "-h":
        console.log(USAGE);
        process.exit(0);
      default:
        throw new InvalidInputError(name, `unknown option "${flag}"`);
    }
  }
  if (!args.config) throw new InvalidInputError("--config", "--config study.json is required");
  if (args.workerOnly && !(args.store && isPostgresUrl(args.store))) throw new InvalidInputError("--worker-only", "--worker-only joins a study in PostgreSQL: give --store postgres://…");
  return args as Args;
}

async function main(argv: string[]): Promise<number> {
  let store: StudyStore | TrialStore | undefined;
  try {
    // Everything that can be wrong is checked here, before the first trial.
    const args = parseArgs(argv);
    for (const module of args.imports) await import(pathToFileURL(module).href);
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
      store = openJsonlStore(target);
    }
    const workers = args.workers ?? defaultWorkerCount();
    console.log(`study ${spec.name}: ${configs.length} trials of the ${spec.objective} objective, ${workers === 0 ? "in this process" : `${workers} worker process${workers === 1 ? "" : "es"}`}, store ${store.location}`);
    const started = performance.now();
    const result = await runSpecStudy(spec, { workers, store, modules: args.imports });
    const minutes = (performance.now() - started) / 60000;
    console.log(`\n${result.ran} trials run here in ${(minutes * 60).toFixed(1)} s (${(result.ran / minutes).toFixed(1)} per minute); ${result.resumed} already finished; ${result.trials.length} of ${configs.length} finished in all`);
    if (result.trials.length > 0) {
      console.log("\n" + tableText(trialRows(result.trials), { title: "Trials, best validation accuracy first", digits: 4, maxRows: 40 }));
      console.log("\n" + tableText(hyperparameterSummaryRows(result.trials), { title: "By hyperparameter", digits: 4 }));
    }
    if (result.best) console.log(`\nbest: trial ${result.best.id + 1}, validation accuracy ${result.best.validationAccuracy!.toFixed(4)}`);
    return 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`tune: ${message}`);
    if (err instanceof InvalidInputError && /^--/.test(err.argument)) console.error(USAGE);
    return err instanceof InvalidInputError || /cannot reach the study database/.test(message) ? 2 : 1;
  } finally {
    if (store && "close" in store) await store.close().catch(() => {});
  }
}

process.exitCode = await main(process.argv.slice(2));
