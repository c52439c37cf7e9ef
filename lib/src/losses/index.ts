/** losses/: public surface of this folder (other folders and index.ts import from here). */
export * from "./losses.js";
export * from "./regularizers.js";
export * from "./compare.js";
export * from "./network-losses.js";
