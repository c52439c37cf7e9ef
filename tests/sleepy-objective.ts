/**
 * A test objective for studies shared between processes: "sleepy" waits `ms` milliseconds per
 * trial and scores trial `i` as i/100, and appends "start i pid" / "end i pid" to the file in
 * $TUNE_TEST_LOG, so a test can count who ran which trial how often. Trials whose `i` is listed
 * in $TUNE_TEST_FAIL ("1,3", or "all") throw "trial i was told to fail" instead; while the file
 * named in $TUNE_TEST_HOLD exists, a started trial waits. Loaded with
 * `npm run tune -- --import tests/sleepy-objective.ts`.
 */
import { appendFileSync, existsSync } from "node:fs";
import { registerObjective } from "../lib/src/tune/index.js";

registerObjective("sleepy", {
  hyperparameters: ["i", "ms"],
  required: ["i"],
  async create() {
    const logFile = process.env.TUNE_TEST_LOG;
    const note = (line: string): void => {
      if (logFile) appendFileSync(logFile, `${line} ${process.pid}\n`);
    };
    const failing = (process.env.TUNE_TEST_FAIL ?? "").split(",");
    return async (config) => {
      note(`start ${config.i}`);
      while (process.env.TUNE_TEST_HOLD && existsSync(process.env.TUNE_TEST_HOLD)) await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, Number(config.ms ?? 100)));
      note(`end ${config.i}`);
      if (failing.includes("all") || failing.includes(String(config.i))) throw new Error(`trial ${config.i} was told to fail`);
      return { status: "ok", validationAccuracy: Number(config.i) / 100, finalLoss: 1, lossCurve: [2, 1] };
    };
  },
});
