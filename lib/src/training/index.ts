/** training/: the mini-batch training loop (train.ts) and its parts: batches, one step, epoch evaluation. */
export * from "./options.js";
export * from "./train.js";
export * from "./batches.js";
export * from "./step.js";
export * from "./classifier.js";
