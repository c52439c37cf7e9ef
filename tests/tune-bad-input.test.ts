/**
 * Bad input to the tuning library, as a table (the style of bad-input.test.ts): study specs, search
 * spaces, study folders and the records in them, worker counts. Each case names the call and the
 * words of the message that name the mistake; never a raw TypeError, a crash after the trials ran,
 * or a silent result.
 */
import { test } from "node:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  gridConfigs,
  linearObjective,
  localStudyStore,
  openJsonlStore,
  openPostgresStore,
  parseStudySpec,
  planWorkers,
  randomConfigs,
  runSpecStudy,
  runStudy,
  type TrialOutcome,
} from "../lib/src/tune/index.js";
import { toyBlobs } from "../lib/src/data/toydata.js";
import { badInputTests, type BadInputCase } from "./helpers.js";

const work = mkdtempSync(join(tmpdir(), "classifiers-tune-bad-"));
test.after(() => rmSync(work, { recursive: true, force: true }));

const linearSpec = (): Record<string, any> => ({
  name: "bad-input",
  objective: "linear",
  data: { name: "mnist-10k", train: 800, validation: 300, seed: 0 },
  budget: { epochs: 2, batchSize: 100 },
  space: { learningRate: { kind: "logUniform", low: 1e-3, high: 1e-1 }, reg: { kind: "logUniform", low: 1e-5, high: 1e-1 } },
  search: { kind: "random", trials: 4, seed: 1 },
});
const networkSpec = (): Record<string, any> => ({ ...linearSpec(), objective: "network", space: { learningRate: { kind: "fixed", value: 0.1 }, hidden: { kind: "choice", values: [32, 64] } } });
/** parseStudySpec of a spoiled copy of `base`. */
const spec = (spoil: (s: Record<string, any>) => void, base = linearSpec) => () => {
  const s = base();
  spoil(s);
  return parseStudySpec(s, "study.json");
};

let folders = 0;
/** A study folder holding `lines` as its trials.jsonl. */
function folderWith(...lines: string[]): string {
  const dir = join(work, `folder-${++folders}`);
  mkdirSync(dir);
  writeFileSync(join(dir, "trials.jsonl"), lines.map((l) => l + "\n").join(""));
  return dir;
}
const record = (fields: Record<string, unknown> = {}): string =>
  JSON.stringify({ id: 0, config: { i: 0 }, status: "ok", validationAccuracy: 0.5, finalLoss: 1, seconds: 0.1, lossCurve: [2, 1], ...fields });
const ok: TrialOutcome = { status: "ok", validationAccuracy: 0.5, finalLoss: 1, lossCurve: [] };

const cases: BadInputCase[] = [
  // study specs: unknown names, with the nearest known one
  { name: "spec: top-level typo", run: spec((s) => (s.serach = s.search)), message: /^study\.json: unknown option 'serach'; did you mean 'search'\?$/ },
  { name: "spec: search.trails", run: spec((s) => (s.search.trails = 3)), message: /^study\.json: search: unknown option 'trails'; did you mean 'trials'\?$/ },
  { name: "spec: data.validaton", run: spec((s) => (s.data.validaton = 3)), message: /^study\.json: data: unknown option 'validaton'; did you mean 'validation'\?$/ },
  { name: "spec: budget.epoch", run: spec((s) => (s.budget.epoch = 3)), message: /^study\.json: budget: unknown option 'epoch'; did you mean 'epochs'\?$/ },
  { name: "spec: grid search with trials", run: spec((s) => (s.search = { kind: "grid", trials: 3 })), message: /^study\.json: search: unknown option 'trials'; known options: 'kind', 'pointsPerAxis'$/ },
  { name: "spec: hyperparameter typo", run: spec((s) => (s.space.lerningRate = { kind: "fixed", value: 0.1 })), message: /space\.lerningRate: unknown hyperparameter 'lerningRate' for the linear objective; did you mean 'learningRate'\?/ },
  { name: "spec: a range field typo", run: spec((s) => (s.space.reg = { kind: "logUniform", low: 1e-5, hihg: 1 })), message: /space\.reg: hyperparameter reg: a logUniform range: unknown option 'hihg'; did you mean 'high'\?/ },
  { name: "spec: objective typo", run: spec((s) => (s.objective = "linaer")), message: /objective: unknown objective "linaer"; did you mean 'linear'\? use one of linear, network/ },
  // study specs: values every trial would fail on
  { name: "spec: a fixed negative learning rate", run: spec((s) => (s.space.learningRate = { kind: "fixed", value: -0.1 })), message: /space\.learningRate: value -0\.1 is out of range: it must be a number above 0/ },
  { name: "spec: a learning-rate range reaching 0", run: spec((s) => (s.space.learningRate = { kind: "uniform", low: 0, high: 0.1 })), message: /space\.learningRate: low 0 is out of range: it must be a number above 0/ },
  { name: "spec: a negative regularisation strength", run: spec((s) => (s.space.reg = { kind: "choice", values: [0, -1e-3] })), message: /space\.reg: value -0\.001 is out of range: it must be a number at least 0/ },
  { name: "spec: a fractional hidden width", run: spec((s) => (s.space.hidden = { kind: "fixed", value: 2.5 }), networkSpec), message: /space\.hidden: value 2\.5 is out of range: it must be a whole number at least 1/ },
  { name: "spec: a hidden width drawn from a continuous range", run: spec((s) => (s.space.hidden = { kind: "logUniform", low: 16, high: 256 }), networkSpec), message: /space\.hidden: takes whole numbers; use \{"kind": "int", "low": …, "high": …\} or "choice", not logUniform/ },
  { name: "spec: a batch size of 0", run: spec((s) => (s.space.batchSize = { kind: "int", low: 0, high: 64 })), message: /space\.batchSize: low 0 is out of range: it must be a whole number at least 1/ },
  { name: "spec: a fixed range without its value", run: spec((s) => (s.space.reg = { kind: "fixed" })), message: /space\.reg: hyperparameter reg: a fixed range needs a "value" .* got undefined/ },
  { name: "spec: a choice of objects", run: spec((s) => (s.space.loss = { kind: "choice", values: [{}] })), message: /space\.loss: value a Object is not one of svm, softmax/ },
  // sizes that cannot fit, refused before anything is made
  { name: "spec: a billion trials (was an out-of-memory abort after 72 s)", run: spec((s) => (s.search.trials = 1e9)), message: /^study\.json: search\.trials: 1,000,000,000 trials are more than a study can hold \(at most 100,000\)$/ },
  {
    name: "spec: a grid of a million points",
    run: spec((s) => (s.search = { kind: "grid", pointsPerAxis: 1000 })),
    message: /search\.pointsPerAxis: a grid of 1000 × 1000 = 1,000,000 configurations is more than a study can hold \(at most 100,000\); use fewer points per axis or random search/,
  },
  { name: "randomConfigs of a billion", run: () => randomConfigs({ x: { kind: "uniform", low: 0, high: 1 } }, 1e9), message: /^1,000,000,000 configurations are more than a study can hold \(at most 100,000\)$/ },
  { name: "gridConfigs of 0 points per axis", run: () => gridConfigs({ x: { kind: "uniform", low: 0, high: 1 } }, 0), message: /^pointsPerAxis must be a positive integer, got 0$/ },
  { name: "a choice holding undefined", run: () => gridConfigs({ x: { kind: "choice", values: [1, undefined as never] } }), message: /hyperparameter x: choice value 1 must be a finite number, a string or true\/false, got undefined/ },
  // study folders and their records (before any trial runs)
  { name: "a study folder that is a file (was EEXIST from mkdir)", run: () => openJsonlStore(join(folderWith(), "trials.jsonl")), message: /the study folder .*trials\.jsonl is a file; give a folder \(it is created if missing\) or a postgres:\/\/ URL/ },
  {
    name: "a trials.jsonl that is a folder",
    run: () => {
      const dir = join(work, "jsonl-folder");
      mkdirSync(join(dir, "trials.jsonl"), { recursive: true });
      return openJsonlStore(dir);
    },
    message: /jsonl-folder\/trials\.jsonl is a folder; a study folder's trials\.jsonl must be a file/,
  },
  { name: 'a record "hello" (was a crash after every trial ran)', run: () => openJsonlStore(folderWith(record(), '"hello"')), message: /trials\.jsonl line 2: expected a trial record \(a JSON object with id, config, status, .*\), got "hello"; fix or remove that line/ },
  { name: "a record null", run: () => openJsonlStore(folderWith("null")), message: /trials\.jsonl line 1: expected a trial record .*, got null;/ },
  { name: "a record {}", run: () => openJsonlStore(folderWith("{}")), message: /trials\.jsonl line 1: missing field 'id'; fix or remove that line/ },
  { name: "a record that is an array", run: () => openJsonlStore(folderWith("[1]")), message: /trials\.jsonl line 1: expected a trial record .*, got an array;/ },
  { name: "a validation accuracy of 1.5 (was 'best: trial 1, 1.5000')", run: () => openJsonlStore(folderWith(record({ validationAccuracy: 1.5 }))), message: /trials\.jsonl line 1: validationAccuracy must be a number in 0\.\.1 or null, got 1\.5; fix or remove that line/ },
  { name: "a failed trial with an accuracy", run: () => openJsonlStore(folderWith(record({ status: "failed" }))), message: /line 1: validationAccuracy must be null for a failed trial, got 0\.5/ },
  { name: "an unknown status", run: () => openJsonlStore(folderWith(record({ status: "done" }))), message: /line 1: status must be one of "ok", "diverged", "failed"; got "done"/ },
  { name: "a negative id", run: () => openJsonlStore(folderWith(record({ id: -1 }))), message: /line 1: id must be a non-negative integer, got -1/ },
  { name: "a field typo in a record", run: () => openJsonlStore(folderWith(record({ validationAccuracy: undefined, validationAcuracy: 0.5 }))), message: /line 1: unknown field 'validationAcuracy'; did you mean 'validationAccuracy'\?/ },
  { name: "a loss curve of strings", run: () => openJsonlStore(folderWith(record({ lossCurve: [1, "2"] }))), message: /line 1: lossCurve\[1\] must be a number, got "2"/ },
  { name: "a broken line in the middle", run: () => openJsonlStore(folderWith(record(), "{ not json", record({ id: 1 }))), message: /trials\.jsonl line 2 is not a JSON trial record; fix or remove that line/ },
  {
    name: 'a trial id beyond the study (was "5 of 4 finished")',
    run: () => runStudy({ configs: [{ i: 0 }, { i: 1 }], store: openJsonlStore(folderWith(record(), record({ id: 99 }))), objective: async () => ok, log: () => {} }),
    message: /trials\.jsonl line 2 holds trial 99, but this study has 2 configurations \(ids 0\.\.1\): a different study; use a new folder/,
  },
  {
    name: "a trial of another study",
    run: () => localStudyStore(openJsonlStore(folderWith(record({ config: { i: 7 } })))).prepare([{ i: 0 }]),
    message: /trials\.jsonl line 1 holds trial 0 with another configuration \(\{"i":7\} vs \{"i":0\}\)/,
  },
  // options objects of the library's entry points
  { name: "runStudy with 'config'", run: () => runStudy({ config: [{ i: 0 }], objective: async () => ok } as never), message: /^runStudy: unknown option 'config'; did you mean 'configs'\?$/ },
  { name: "runSpecStudy with 'worker'", run: () => runSpecStudy(parseStudySpec(linearSpec()), { worker: 2 } as never), message: /^runSpecStudy: unknown option 'worker'; did you mean 'workers'\?$/ },
  {
    name: "linearObjective with 'epoch'",
    run: () => linearObjective({ train: toyBlobs({ n: 20, seed: 1 }), validation: toyBlobs({ n: 20, seed: 2 }), numClasses: 2, epoch: 3 } as never),
    message: /^linearObjective: unknown option 'epoch'; did you mean 'epochs'\?$/,
  },
  { name: "openPostgresStore with 'leaseSecond'", run: () => openPostgresStore("postgres://127.0.0.1:1/db", { study: "s", leaseSecond: 5 } as never), message: /^openPostgresStore: unknown option 'leaseSecond'; did you mean 'leaseSeconds'\?$/ },
  { name: "openPostgresStore of another database's URL", run: () => openPostgresStore("mysql://u:pw@h/db", { study: "s" }), message: /^openPostgresStore needs a postgres:\/\/ URL, got "mysql:\/\/u:\*\*\*@h\/db"$/ },
  // worker counts
  { name: "a negative worker count", run: () => planWorkers(-1, 4), message: /^workers must be a whole number of processes \(0 = in this process\), got -1$/ },
  { name: "a fractional worker count", run: () => planWorkers(1.5, 4), message: /^workers must be a whole number of processes \(0 = in this process\), got 1\.5$/ },
];

badInputTests("tune bad input", cases);
