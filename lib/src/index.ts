/**
 * classifiers: image classifiers from scratch on TensorFlow.js.
 * One module per idea; this file only re-exports their public surfaces.
 */
export * from "./types.js";
export * from "./backend.js";
export * from "./random.js";
export * from "./notebook.js";
export * from "./progress.js";
// data
export * from "./idx.js";
export * from "./datasets.js";
export * from "./preprocess.js";
// nearest neighbours
export * from "./distances.js";
export * from "./neighbors.js";
export * from "./knn.js";
export * from "./crossval.js";
// linear models and optimisation
export * from "./linear.js";
export * from "./losses.js";
export * from "./regularizers.js";
export * from "./gradcheck.js";
export * from "./optimizers.js";
export * from "./schedules.js";
export * from "./train.js";
export * from "./binary.js";
export * from "./toydata.js";
export * from "./strategies.js";
// evaluation and pictures
export * from "./metrics.js";
export * from "./display.js";
export * from "./figures.js";
export * from "./tables.js";
