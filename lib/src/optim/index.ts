/** optim/: public surface of this folder (other folders and index.ts import from here). */
export * from "./gradcheck.js";
export * from "./optimizers.js";
export * from "./schedules.js";
