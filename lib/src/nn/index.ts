/** nn/: neural networks: fully connected and convolutional layers with handwritten forward/backward (affine, activations, convolution, max pooling, batch norm, dropout), initialisation, the network models, save/load. */
export * from "./layers.js";
export * from "./init.js";
export * from "./network.js";
export * from "./autodiff.js";
export * from "./scalar.js";
export * from "./persist.js";
export * from "./conv.js";
export * from "./pool.js";
export * from "./conv-relu-pool.js";
export * from "./batchnorm.js";
export * from "./dropout.js";
export * from "./cnn.js";
export * from "./cnn-persist.js";
