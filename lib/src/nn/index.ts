/** nn/: fully connected networks: layers with handwritten forward/backward, initialisation, the network model. */
export * from "./layers.js";
export * from "./init.js";
export * from "./network.js";
export * from "./autodiff.js";
export * from "./scalar.js";
export * from "./persist.js";
