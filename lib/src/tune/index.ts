/** tune/: hyperparameter search: spaces, grid and random configurations, studies with stores that survive being killed, objectives. */
export * from "./space.js";
export * from "./store.js";
export * from "./study.js";
export * from "./objectives.js";
