/**
 * `npm run tune` (scripts/tune.ts) as a user meets it. Mistakes on the command line, in the spec or
 * in the study folder stop it before any trial with exit code 2 and a message naming the mistake
 * (run in this process: the command's `main`). What only real processes show runs as child
 * processes: --workers 0 in the process itself, failed trials (reason, exit 1, retried next time),
 * two processes on one study folder, a stopped run's lock, and --workers above the cores.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../scripts/tune.js";
import "./sleepy-objective.js";
import { sleepySpec, tune, writeSpecFile } from "./tune-helpers.js";

const work = mkdtempSync(join(tmpdir(), "classifiers-tune-cli-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** `main(argv)` in this process, with what it printed. */
async function runMain(argv: string[]): Promise<{ code: number; out: string }> {
  const printed: string[] = [];
  const saved = [console.log, console.error];
  console.log = console.error = (...parts: unknown[]) => void printed.push(parts.join(" "));
  try {
    return { code: await main(argv), out: printed.join("\n") };
  } finally {
    [console.log, console.error] = saved;
  }
}

const started = (logFile: string): number[] =>
  existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").filter((l) => l.startsWith("start ")).map((l) => Number(l.split(" ")[1])) : [];
const until = async (condition: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 60_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

test("mistakes on the command line, in the spec and in the study folder stop tune before any trial (exit 2), naming the mistake", async () => {
  const spec = sleepySpec(work, "mistakes", 2, 10);
  const damaged = join(work, "damaged");
  mkdirSync(damaged);
  writeFileSync(join(damaged, "trials.jsonl"), '"hello"\n');
  const billion = sleepySpec(work, "billion", 2, 10, { search: { kind: "random", trials: 1e9 } });
  const logFile = join(work, "mistakes.log");
  process.env.TUNE_TEST_LOG = logFile;
  const cases: [string[], RegExp][] = [
    [["--wokers", "2"], /^tune: unknown option "--wokers"; did you mean --workers\?$/m],
    [[spec], /^tune: unexpected argument ".*mistakes\.json"; did you mean --config .*mistakes\.json\?$/m],
    [["--config", spec, "--config", spec], /^tune: --config is given twice$/m],
    [["--config", spec, "--workers", "-1"], /^tune: --workers must be a whole number of processes \(0 = in this process\), got "-1"$/m],
    [["--config", spec, "--workers="], /^tune: --workers needs a value$/m],
    [["--config", spec, "--lease", "5"], /^tune: --lease is the claim time of a PostgreSQL study: give --store postgres:\/\/…/m],
    [["--config", spec, "--import", "tests/no-such-module.ts"], /^tune: cannot import .*no-such-module\.ts: /m],
    [["--config", billion], /billion\.json: search\.trials: 1,000,000,000 trials are more than a study can hold \(at most 100,000\)$/m],
    [["--config", spec, "--store", spec], /^tune: the study folder .*mistakes\.json is a file; give a folder \(it is created if missing\) or a postgres:\/\/ URL$/m],
    [["--config", spec, "--store", damaged], /^tune: .*damaged\/trials\.jsonl line 1: expected a trial record \(a JSON object with id, config, status, .*\), got "hello"; fix or remove that line$/m],
    [["--config", spec, "--store", "postgres://127.0.0.1:1/db?password=s3cretPW&user=alice"], /^tune: cannot reach the study database postgres:\/\/127\.0\.0\.1:1\/db\?password=\*\*\*&user=alice: /m],
  ];
  try {
    for (const [argv, message] of cases) {
      const { code, out } = await runMain(argv);
      assert.equal(code, 2, `${argv.join(" ")}\n${out}`);
      assert.match(out, message, argv.join(" "));
      assert.doesNotMatch(out, /s3cretPW/);
    }
  } finally {
    delete process.env.TUNE_TEST_LOG;
  }
  assert.deepEqual(started(logFile), [], "no trial ran");
  assert.equal(readFileSync(join(damaged, "trials.jsonl"), "utf8"), '"hello"\n', "the damaged file is left as it was");
});

test("a spec whose every trial fails (a 10-million-unit hidden layer) exits 1 with the first reason; every trial line has its reason", async () => {
  const spec = writeSpecFile(work, "huge-hidden", {
    objective: "network",
    data: { name: "mnist-10k", train: 100, validation: 50 },
    space: { learningRate: { kind: "fixed", value: 0.1 }, hidden: { kind: "fixed", value: 10_000_000 } },
    search: { kind: "random", trials: 2, seed: 1 },
  });
  const { code, out } = await runMain(["--config", spec, "--workers", "0", "--store", join(work, "huge-hidden")]);
  assert.equal(code, 1, out);
  assert.equal(out.match(/^trial \d\/2 learningRate=0\.1, hidden=10000000: failed: \S.*\(/gm)?.length, 2, out);
  assert.match(out, /^tune: every trial failed \(2\); the first, trial 1 \(learningRate=0\.1, hidden=10000000\): \S/m);
});

// Child processes, side by side (each waits on its own processes).
describe("tune as a process", { concurrency: true }, () => {
  test("--workers 0 runs the trials in this process on an initialised backend (was: every trial 'No backend found in registry.', exit 0)", async () => {
    const spec = writeSpecFile(work, "in-process", {
      objective: "linear",
      data: { name: "mnist-10k", train: 300, validation: 100 },
      budget: { epochs: 1, batchSize: 100 },
      space: { learningRate: { kind: "logUniform", low: 1e-3, high: 1e-2 } },
      search: { kind: "random", trials: 2, seed: 1 },
    });
    const r = await tune(["--config", spec, "--workers", "0", "--store", join(work, "in-process")]).done;
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /study in-process: 2 trials of the linear objective, in this process/);
    assert.equal(r.out.match(/^trial \d\/2 learningRate=\S+: validation 0\.\d{4} \(/gm)?.length, 2, r.out);
    assert.match(r.out, /2 of 2 finished in all\n/);
    assert.doesNotMatch(r.out, /No backend|failed/);
  });

  test("failed trials print their reason, fail the command (exit 1, the first reason) and run again next time", async () => {
    const spec = sleepySpec(work, "failing", 3, 20);
    const store = join(work, "failing");
    const all = await tune(["--config", spec, "--workers", "0", "--store", store], { TUNE_TEST_FAIL: "all" }).done;
    assert.equal(all.code, 1, all.out);
    for (let i = 0; i < 3; i++) assert.match(all.out, new RegExp(`^trial ${i + 1}/3 i=${i}, ms=20: failed: trial ${i} was told to fail \\(`, "m"));
    assert.match(all.out, /^tune: every trial failed \(3\); the first, trial 1 \(i=0, ms=20\): trial 0 was told to fail$/m);
    assert.match(all.out, /0 of 3 finished in all, 3 failed/);
    const some = await tune(["--config", spec, "--workers", "0", "--store", store], { TUNE_TEST_FAIL: "1" }).done;
    assert.equal(some.code, 1, some.out);
    assert.match(some.out, /^tune: 1 of 3 trials failed; the first, trial 2 \(i=1, ms=20\): trial 1 was told to fail\ntune: the failed trials run again the next time this study runs/m);
    const last = await tune(["--config", spec, "--workers", "0", "--store", store]).done;
    assert.equal(last.code, 0, last.out);
    assert.match(last.out, /1 trials run here .*; 2 already finished; 3 of 3 finished in all\n/);
    assert.match(last.out, /best: trial 3, validation accuracy 0\.0200/);
  });

  test("two tune processes on one study folder: the second stops and names the first; a stopped run leaves no lock; nothing runs twice", async () => {
    const spec = sleepySpec(work, "shared-folder", 4, 1000);
    const store = join(work, "shared-folder");
    const logFile = join(work, "shared-folder.log");
    const hold = join(work, "shared-folder.hold");
    writeFileSync(hold, "");
    const first = tune(["--config", spec, "--workers", "0", "--store", store], { TUNE_TEST_LOG: logFile, TUNE_TEST_HOLD: hold });
    await until(() => started(logFile).length > 0, "the first trial");
    const second = await tune(["--config", spec, "--workers", "0", "--store", store], { TUNE_TEST_LOG: logFile }).done;
    rmSync(hold);
    assert.equal(second.code, 2, second.out);
    assert.match(second.out, new RegExp(`^tune: .*shared-folder is in use: another process \\(pid ${first.child.pid} on .*\\) is running a study there\\. Wait for it to finish, or share the study between processes through PostgreSQL`, "m"));
    // Stopped like a scheduler stops it: the lock goes with it, the next run resumes.
    await until(() => readFileSync(logFile, "utf8").includes("end "), "a finished trial");
    first.child.kill("SIGTERM");
    assert.equal((await first.done).code, 143);
    assert.ok(!existsSync(join(store, "lock")), "the stopped run released the folder");
    const resumed = await tune(["--config", spec, "--workers", "0", "--store", store], { TUNE_TEST_LOG: logFile }).done;
    assert.equal(resumed.code, 0, resumed.out);
    const ids = readFileSync(join(store, "trials.jsonl"), "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { id: number }).id);
    assert.deepEqual([...ids].sort(), [0, 1, 2, 3], "every trial recorded once");
    const ends = readFileSync(logFile, "utf8").split("\n").filter((l) => l.startsWith("end ")).map((l) => Number(l.split(" ")[1]));
    assert.deepEqual([...new Set(ends)].sort(), [0, 1, 2, 3]);
    assert.ok(ends.length <= 5, `at most the interrupted trial ran twice: ${ends}`);
  });

  test("--workers 100 starts no more workers than cores and trials, and says so", async () => {
    const r = await tune(["--config", sleepySpec(work, "many-workers", 2, 10), "--workers", "100", "--store", join(work, "many-workers")]).done;
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^tune: warning: --workers 100: 100 workers asked for, but (this machine has \d+ cores?, and each worker runs one backend thread|the study has only 2 trials): starting [12]$/m);
    assert.match(r.out, /study many-workers: 2 trials of the sleepy objective, [12] worker process(es)?,/);
    assert.match(r.out, /2 of 2 finished in all/);
  });
});
