/** data/: public surface of this folder (other folders and index.ts import from here). */
export * from "./datasets.js";
export * from "./idx.js";
export * from "./preprocess.js";
export * from "./toydata.js";
export * from "./npy.js";
