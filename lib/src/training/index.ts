/** training/: public surface of this folder (other folders and index.ts import from here). */
export * from "./train.js";
