/** tune/: hyperparameter search: spaces, grid and random configurations, studies (JSON specs, worker processes, stores that survive being killed, PostgreSQL), objectives. */
export * from "./space.js";
export * from "./store.js";
export * from "./study.js";
export * from "./objectives.js";
export * from "./spec.js";
export * from "./pool.js";
export * from "./run.js";
export * from "./postgres.js";
