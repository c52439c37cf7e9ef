/**
 * Run by tests/native.test.ts: how much CPU time TensorFlow's pool threads spend on many small
 * element-wise ops (131,072 elements, as in a training step's parameter updates), then on a few big
 * ones (4,194,304 elements). Prints the backend's summary, then one line
 * "pool ticks: small <n> big <n>": CPU time in clock ticks (1/100 s) of the threads that appeared
 * once TensorFlow loaded (its pool threads keep Node's name, so they are told apart by when they
 * started; V8's and libuv's threads exist before).
 */
import { readdirSync, readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/src/runtime/backend.js";

const nodeThreads = new Set(readdirSync("/proc/self/task"));
console.log((await initBackend({ log: false })).summary);

/** utime + stime of the threads TensorFlow started, in clock ticks. */
function poolTicks(): number {
  let ticks = 0;
  for (const tid of readdirSync("/proc/self/task")) {
    if (nodeThreads.has(tid)) continue;
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields[0] is field 3, the state
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks;
}

function work(rows: number, repeats: number): number {
  const a = tf.randomUniform([rows, 512], -1, 1, "float32", 1);
  const b = tf.randomUniform([rows, 512], -1, 1, "float32", 2);
  const before = poolTicks();
  for (let i = 0; i < repeats; i++) tf.tidy(() => { tf.relu(tf.add(a, b)); tf.concat([a, b]); });
  tf.tidy(() => void tf.add(a, b).dataSync()); // all done (void: tidy would walk a returned array)
  const ticks = poolTicks() - before;
  tf.dispose([a, b]);
  return ticks;
}

work(256, 20); // TensorFlow starts its threads
const small = work(256, 3000);
const big = work(8192, 150);
console.log(`pool ticks: small ${small} big ${big}`);
