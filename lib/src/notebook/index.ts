/** notebook/: public surface of this folder (other folders and index.ts import from here). */
export * from "./display.js";
export * from "./settings.js";
export * from "./check.js";
export * from "./tables.js";
export * from "./live.js";
export * from "./tune-tables.js";
export * from "./live-study.js";
