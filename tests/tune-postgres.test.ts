/**
 * Studies on PostgreSQL: a real server (Debian's postgresql, see postgres-server.ts) in a temporary
 * folder; workers are `npm run tune -- --worker-only` processes running the "sleepy" test objective.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { openPostgresStore, parseStudySpec, studyConfigs } from "../lib/src/tune/index.js";
import { startPostgres, type PostgresServer } from "./postgres-server.js";
import "./sleepy-objective.js";
import { sleepySpec, tune as tuneCommand } from "./tune-helpers.js";

const work = mkdtempSync(join(tmpdir(), "classifiers-tune-pg-"));
let server: PostgresServer | undefined;
let skip: string | false = false;

before(async () => {
  const started = await startPostgres();
  if ("skip" in started) {
    skip = `skipped: ${started.skip}`;
    console.log(`# PostgreSQL tests ${skip}`);
  } else {
    server = started;
  }
});
after(() => {
  server?.stop();
  rmSync(work, { recursive: true, force: true });
});

const writeSpec = (name: string, trials: number, ms: number): string => sleepySpec(work, name, trials, ms);
/** `npm run tune` with the sleepy objective logging to `logFile`. */
const tune = (args: string[], logFile: string, env: Record<string, string> = {}) => tuneCommand(args, { TUNE_TEST_LOG: logFile, ...env });

const events = (logFile: string): { what: string; i: number; pid: number }[] =>
  existsSync(logFile)
    ? readFileSync(logFile, "utf8").trim().split("\n").filter(Boolean).map((l) => {
        const [what, i, pid] = l.split(" ");
        return { what: what!, i: Number(i), pid: Number(pid) };
      })
    : [];

async function prepared(name: string, trials: number, ms: number): Promise<string> {
  const file = writeSpec(name, trials, ms);
  const spec = parseStudySpec(JSON.parse(readFileSync(file, "utf8")));
  const store = await openPostgresStore(server!.url, { study: name, spec, log: () => {} });
  await store.prepare(studyConfigs(spec));
  await store.close();
  return file;
}

test("two worker processes share one study: every trial runs exactly once", async (t) => {
  if (skip) return t.skip(skip);
  const spec = await prepared("shared", 8, 400);
  const logFile = join(work, "shared.log");
  const a = tune(["--config", spec, "--store", server!.url, "--worker-only", "--workers", "0"], logFile);
  const b = tune(["--config", spec, "--store", server!.url, "--worker-only", "--workers", "0"], logFile);
  const [ra, rb] = await Promise.all([a.done, b.done]);
  assert.equal(ra.code, 0, ra.out);
  assert.equal(rb.code, 0, rb.out);
  const ends = events(logFile).filter((e) => e.what === "end");
  assert.deepEqual(ends.map((e) => e.i).sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7], "each trial ran once");
  assert.equal(events(logFile).filter((e) => e.what === "start").length, 8);
  assert.deepEqual(new Set(ends.map((e) => e.pid)), new Set([a.child.pid, b.child.pid]), "both workers took trials");
  assert.match(ra.out, /best: trial 8, validation accuracy 0\.0700/);
  const store = await openPostgresStore(server!.url, { study: "shared", log: () => {} });
  assert.deepEqual(await store.counts(), { ok: 8 });
  const finished = await store.finished();
  assert.deepEqual(finished.map((r) => r.validationAccuracy), [0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07]);
  assert.deepEqual(finished[3]!.lossCurve, [2, 1]);
  await store.close();
});

test("a worker killed mid-trial loses only that trial, which the other worker runs once its lease runs out", async (t) => {
  if (skip) return t.skip(skip);
  const spec = await prepared("killed", 4, 1500);
  const logFile = join(work, "killed.log");
  const lease = ["--lease", "2"];
  const doomed = tune(["--config", spec, "--store", server!.url, "--worker-only", "--workers", "0", ...lease], logFile);
  const deadline = Date.now() + 60_000;
  while (!events(logFile).some((e) => e.what === "start") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  doomed.child.kill("SIGKILL");
  await doomed.done;
  const lost = events(logFile).filter((e) => e.what === "start");
  assert.equal(lost.length, 1, "the killed worker had started one trial");
  assert.equal(events(logFile).filter((e) => e.what === "end").length, 0, "and finished none");
  const survivor = tune(["--config", spec, "--store", server!.url, "--worker-only", "--workers", "0", ...lease], logFile);
  const r = await survivor.done;
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, new RegExp(`trial ${lost[0]!.i + 1}: its previous worker's lease ran out; running it again here \\(attempt 2\\)`));
  const ends = events(logFile).filter((e) => e.what === "end");
  assert.deepEqual(ends.map((e) => e.i).sort(), [0, 1, 2, 3]);
  assert.ok(ends.every((e) => e.pid === survivor.child.pid));
  const store = await openPostgresStore(server!.url, { study: "killed", log: () => {} });
  assert.deepEqual(await store.counts(), { ok: 4 });
  await store.close();
});

test("a worker for a study that was never started, and an unreachable database, fail before any trial with a clear message", async (t) => {
  const logFile = join(work, "unreachable.log");
  const spec = writeSpec("unreachable", 2, 10);
  const r = await tune(["--config", spec, "--store", "postgres://tune:secret@127.0.0.1:9/nowhere"], logFile).done;
  assert.equal(r.code, 2, r.out);
  assert.match(r.out, /tune: cannot reach the study database postgres:\/\/tune:\*\*\*@127\.0\.0\.1:9\/nowhere: connect ECONNREFUSED/);
  assert.doesNotMatch(r.out, /secret/);
  assert.equal(existsSync(logFile), false, "no trial ran");
  if (skip) return t.skip(skip);
  const never = await tune(["--config", writeSpec("never-started", 2, 10), "--store", server!.url, "--worker-only"], logFile).done;
  assert.equal(never.code, 2, never.out);
  assert.match(never.out, /study never-started\): no such study yet; start it once without --worker-only/);
  assert.equal(existsSync(logFile), false, "no trial ran");
});

test("a trial that failed runs again when the study is started again; the command says why it failed and exits 1", async (t) => {
  if (skip) return t.skip(skip);
  const spec = writeSpec("retry", 3, 20);
  const logFile = join(work, "retry.log");
  const { code, out } = await tune(["--config", spec, "--store", server!.url, "--workers", "0"], logFile, { TUNE_TEST_FAIL: "1" }).done;
  assert.equal(code, 1, out);
  assert.match(out, /^trial 2\/3 i=1, ms=20: failed: trial 1 was told to fail/m);
  assert.match(out, /^tune: 1 of 3 trials failed; the first, trial 2 \(i=1, ms=20\): trial 1 was told to fail$/m);
  const store = await openPostgresStore(server!.url, { study: "retry", log: () => {} });
  assert.deepEqual(await store.counts(), { ok: 2, failed: 1 });
  const again = await tune(["--config", spec, "--store", server!.url, "--workers", "0"], logFile).done;
  assert.equal(again.code, 0, again.out);
  assert.match(again.out, /\(study retry\): 1 trial that failed in an earlier run will run again/);
  assert.deepEqual(await store.counts(), { ok: 3 });
  assert.equal(events(logFile).filter((e) => e.what === "end" && e.i === 1).length, 2, "trial 1 ran twice, the others once");
  assert.equal(events(logFile).filter((e) => e.what === "end").length, 4);
  // A row edited by hand into something no run writes is named, not trusted.
  const pg = createRequire(import.meta.url)("pg") as typeof import("pg");
  const client = new pg.Client({ connectionString: server!.url });
  await client.connect();
  await client.query("UPDATE tune_trials SET validation_accuracy = 1.5 WHERE study = 'retry' AND id = 2");
  await client.end();
  await assert.rejects(store.finished(), /\(study retry\): the row of trial 2 in tune_trials: validationAccuracy must be a number in 0\.\.1 or null, got 1\.5; fix or delete that row/);
  await store.close();
});
