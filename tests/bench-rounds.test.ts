/** bench/peers.ts combineRounds: several rounds of a benchmark folded into one record per entry. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { combineRounds } from "../bench/peers.js";
import type { BenchRecord } from "../bench/types.js";

function record(name: string, seconds: number, peerSeconds?: number): BenchRecord {
  return {
    name, dataset: "d", backend: "tensorflow", backendSummary: "", threads: 0, nTrain: 1, nTest: 1,
    seconds, accuracy: 0.9, gflops: null, ceilingGflops: null, peakRssMb: 1,
    ...(peerSeconds === undefined ? {} : { peers: [{ peer: "PyTorch", seconds: peerSeconds, accuracy: 0.9, ratio: peerSeconds / seconds }] }),
  };
}

test("rounds fold into the median round, with the median of the rounds' ratios (not the ratio of medians)", () => {
  // ours 4, 8, 5 s; PyTorch 6, 8, 4 s in the same rounds: ratios 1.5, 1.0, 0.8
  const folded = combineRounds([[record("mlp", 4, 6), record("knn", 9)], [record("mlp", 8, 8), record("knn", 7)], [record("mlp", 5, 4), record("knn", 8)]]);
  assert.equal(folded.length, 2);
  const [mlp, knn] = folded as [BenchRecord, BenchRecord];
  assert.equal(mlp.seconds, 5);
  assert.deepEqual(mlp.roundSeconds, [4, 8, 5]);
  const peer = mlp.peers![0]!;
  assert.equal(peer.seconds, 6);
  assert.deepEqual(peer.roundSeconds, [6, 8, 4]);
  assert.deepEqual(peer.roundRatios, [1.5, 1, 0.8]);
  assert.equal(peer.ratio, 1); // 6 / 5 = 1.2 would be the ratio of the medians
  assert.equal(knn.seconds, 8);
  assert.equal(knn.peers, undefined);
  // one round: unchanged
  const single = [record("mlp", 4, 6)];
  assert.equal(combineRounds([single]), single);
});
