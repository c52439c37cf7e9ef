/** core/: public surface of this folder (other folders and index.ts import from here). */
export * from "./model.js";
export * from "./progress.js";
export * from "./random.js";
export * from "./types.js";
export * from "./timing.js";
export * from "./checks.js";
export * from "./update-kernels.js";
