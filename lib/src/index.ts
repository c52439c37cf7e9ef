/**
 * classifiers: image classifiers from scratch on TensorFlow.js.
 *
 * One folder per stage of the course and of the data flow; this file only re-exports their public
 * surfaces (each folder's index.ts). Subpaths such as `classifiers/knn` import one folder alone.
 *   core/      shared types, the model contract, seeded randomness, progress
 *   runtime/   TensorFlow.js backend choice (native, WebAssembly threads, cpu)
 *   data/      IDX files, datasets, preprocessing, 2-D toy sets
 *   knn/       distances, exact neighbour search, the kNN classifier, cross-validation
 *   losses/    classification losses and weight penalties
 *   linear/    linear classifiers (multiclass and binary)
 *   nn/        fully connected networks: layers with handwritten backward passes, initialisation
 *   optim/     optimisers, learning-rate schedules, gradient checking, search strategies
 *   training/  the mini-batch training loop
 *   tune/      hyperparameter search: spaces, grid/random search, studies that resume
 *   eval/      accuracy, confusion matrix, per-class metrics
 *   viz/       Plotly figure builders
 *   notebook/  inline display, tables, notebook settings
 */
export * from "./core/index.js";
export * from "./runtime/index.js";
export * from "./data/index.js";
export * from "./knn/index.js";
export * from "./losses/index.js";
export * from "./linear/index.js";
export * from "./nn/index.js";
export * from "./optim/index.js";
export * from "./training/index.js";
export * from "./tune/index.js";
export * from "./eval/index.js";
export * from "./viz/index.js";
export * from "./notebook/index.js";
