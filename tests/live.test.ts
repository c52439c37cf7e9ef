/** The live progress display: one output updated in place, rate-limited, small when saved; plain lines outside a kernel. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createLiveProgress, sparklineSvg } from "../lib/src/notebook/live.js";
import { liveProgress, progress, setLiveProgress } from "../lib/src/core/progress.js";
import type { MimeBundle } from "../lib/src/notebook/display.js";

test("updates go to one display, at most one per 250 ms, and the final state is complete and small", () => {
  const updates: MimeBundle[] = [];
  let clock = 0;
  const meter = createLiveProgress("training", 10_000, { update: (b) => updates.push(b) }, () => clock);
  for (let i = 0; i < 10_000; i++) {
    clock += 0.1; // 10,000 steps in 1 s of fake time
    meter.tick(1, { loss: 2 / (1 + i / 100), epoch: 1 + Math.floor(i / 1000) });
  }
  assert.ok(updates.length >= 4 && updates.length <= 6, `${updates.length} updates in 1 s`);
  assert.ok(Math.abs(meter.done() - 1) < 1e-9);
  const final = String(updates.at(-1)!.data["text/html"]);
  assert.match(final, /width:100\.0%/);
  assert.match(final, /10000\/10000 · epoch 10 · loss 0\.01980 · 10000\/s · done in 1\.0 s/);
  const points = /points="([^"]*)"/.exec(final)![1]!.split(" ").length;
  assert.ok(points >= 150 && points < 300, `${points} curve points`);
  assert.ok(final.length < 20_000, `final state ${final.length} characters`);
  assert.match(String(updates.at(-1)!.data["text/plain"]), /training: 10000\/10000, loss 0\.01980, done in 1\.0 s/);
});

test("sparkline: a falling curve starts high and ends low; too few points draw nothing", () => {
  const svg = sparklineSvg([3, 2, 1], 100, 50);
  const pts = /points="([^"]*)"/.exec(svg)![1]!.split(" ").map((p) => p.split(",").map(Number));
  assert.deepEqual(pts.map((p) => p[0]), [0, 50, 100]);
  assert.ok(pts[0]![1]! < pts[2]![1]!, "higher loss is drawn higher (smaller y)");
  assert.doesNotMatch(sparklineSvg([1]), /polyline/);
});

test("outside a kernel progress is plain lines; CLASSIFIERS_LIVE=0 turns an installed live display off", () => {
  setLiveProgress(undefined);
  assert.equal(liveProgress("x", 10), undefined);
  const lines: string[] = [];
  const meter = progress("work", 3, { write: (l) => lines.push(l) });
  assert.equal(meter.live, false);
  meter.tick(3);
  meter.done();
  assert.match(lines.at(-1)!, /^work: 3\/3 in \d+\.\d\d s$/);
  let made = 0;
  setLiveProgress(() => {
    made++;
    return createLiveProgress("x", 1, { update: () => {} });
  });
  const saved = process.env.CLASSIFIERS_LIVE;
  process.env.CLASSIFIERS_LIVE = "0";
  assert.equal(liveProgress("x", 1), undefined);
  delete process.env.CLASSIFIERS_LIVE;
  assert.equal(liveProgress("x", 1)?.live, true);
  assert.equal(made, 1);
  if (saved !== undefined) process.env.CLASSIFIERS_LIVE = saved;
  setLiveProgress(undefined);
});
