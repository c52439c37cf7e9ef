/** knn/: public surface of this folder (other folders and index.ts import from here). */
export * from "./crossval.js";
export * from "./distances.js";
export * from "./knn.js";
export * from "./neighbors.js";
export * from "./strategy.js";
