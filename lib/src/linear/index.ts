/** linear/: public surface of this folder (other folders and index.ts import from here). */
export * from "./binary-models.js";
export * from "./linear.js";
export * from "./search-strategies.js";
