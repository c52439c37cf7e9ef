import { test } from "node:test";
import assert from "node:assert/strict";
import { createRng, permutation, sampleWithoutReplacement } from "../lib/src/core/random.js";
import { progress } from "../lib/src/core/progress.js";
import { bySize, smokeMode } from "../lib/src/notebook/settings.js";

test("same seed, same stream; different seed, different stream", () => {
  const a = createRng(42), b = createRng(42), c = createRng(43);
  const xs = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.next()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c.next()));
  for (const x of xs) assert.ok(x >= 0 && x < 1);
});

test("uniform draws have mean ~1/2 and normals have mean ~0, variance ~1", () => {
  const rng = createRng(7);
  const n = 20000;
  let su = 0, sn = 0, sn2 = 0;
  for (let i = 0; i < n; i++) {
    su += rng.next();
    const z = rng.normal();
    sn += z;
    sn2 += z * z;
  }
  assert.ok(Math.abs(su / n - 0.5) < 0.01, `uniform mean ${su / n}`);
  assert.ok(Math.abs(sn / n) < 0.03, `normal mean ${sn / n}`);
  assert.ok(Math.abs(sn2 / n - 1) < 0.05, `normal variance ${sn2 / n}`);
});

test("int(n) covers 0..n-1 and rejects bad n", () => {
  const rng = createRng(1);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) seen.add(rng.int(6));
  assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4, 5]);
  assert.throws(() => rng.int(0), /positive integer/);
  assert.throws(() => createRng(Number.NaN), /seed must be a finite number/);
});

test("permutation is a deterministic permutation", () => {
  const p = permutation(100, 3);
  assert.deepEqual([...p].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
  assert.deepEqual(p, permutation(100, 3));
  assert.notDeepEqual(p, permutation(100, 4));
  const s = sampleWithoutReplacement(100, 10, 3);
  assert.equal(new Set(s).size, 10);
  assert.throws(() => sampleWithoutReplacement(3, 4, 0), /cannot sample 4 distinct items from 3/);
});

test("progress reports counts and a final line", () => {
  const lines: string[] = [];
  const p = progress("work", 4, { everySeconds: 0, write: (l) => lines.push(l) });
  p.tick();
  p.tick(2);
  p.tick();
  p.done("accuracy 0.9");
  assert.match(lines[0]!, /^work: 1\/4 \(25%\)/);
  assert.match(lines[1]!, /^work: 3\/4 \(75%\)/);
  assert.match(lines.at(-1)!, /^work: 4\/4 in [0-9.]+ s, accuracy 0.9$/);
});

test("smoke mode follows CLASSIFIERS_SMOKE", () => {
  const saved = process.env.CLASSIFIERS_SMOKE;
  try {
    delete process.env.CLASSIFIERS_SMOKE;
    assert.equal(smokeMode(), false);
    assert.equal(bySize(8000, 500), 8000);
    process.env.CLASSIFIERS_SMOKE = "1";
    assert.equal(smokeMode(), true);
    assert.equal(bySize(8000, 500), 500);
    process.env.CLASSIFIERS_SMOKE = "0";
    assert.equal(smokeMode(), false);
  } finally {
    if (saved === undefined) delete process.env.CLASSIFIERS_SMOKE;
    else process.env.CLASSIFIERS_SMOKE = saved;
  }
});
