/**
 * Saving and loading a network: a folder with one NumPy `.npy` file per parameter (W1.npy, b1.npy,
 * ...) and a `network.json` that says how the network computes (layer sizes, activation, loss).
 * NumPy reads the weights directly:
 *   W1 = numpy.load("model/W1.npy")        # (784, 100) float32, the same row form x @ W1 + b1
 * and a file whose shape does not fit the network fails with an error naming file and shapes.
 */
import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomically } from "../core/files.js";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { InvalidInputError } from "../core/checks.js";
import { readNpy, writeNpy } from "../data/npy.js";
import { createNetwork, type Network, type NetworkOptions } from "./network.js";

const MANIFEST = "network.json";
const FORMAT = "classifiers.network";

/** What network.json holds. */
export interface NetworkManifest {
  format: typeof FORMAT;
  version: 1;
  layerSizes: number[];
  activation: NetworkOptions["activation"];
  leakyAlpha?: number;
  loss: NetworkOptions["loss"];
  reg: number;
  delta?: number;
  /** One entry per parameter, in order W1, b1, W2, b2, ... */
  parameters: { name: string; file: string; shape: number[] }[];
}

/** The shape each parameter of a network with these layer sizes has: W_l [n_{l-1}, n_l], b_l [n_l]. */
function expectedShapes(layerSizes: readonly number[]): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (let l = 1; l < layerSizes.length; l++) {
    shapes.set(`W${l}`, [layerSizes[l - 1]!, layerSizes[l]!]);
    shapes.set(`b${l}`, [layerSizes[l]!]);
  }
  return shapes;
}

/** Writes the network's parameters and configuration into `dir` (created if needed). Returns the manifest. */
export function saveNetwork(net: Network, dir: string): NetworkManifest {
  const parameters: NetworkManifest["parameters"] = [];
  for (const [name, shape] of expectedShapes(net.layerSizes)) {
    const param = net.params[name];
    if (!param || param.isDisposed) throw new InvalidInputError("net", `the network's ${name} is missing or disposed; nothing was saved`);
    writeNpy(join(dir, `${name}.npy`), param.dataSync() as Float32Array, shape);
    parameters.push({ name, file: `${name}.npy`, shape });
  }
  const o = net.options;
  const manifest: NetworkManifest = {
    format: FORMAT, version: 1, layerSizes: [...net.layerSizes],
    activation: o.activation ?? "relu", loss: o.loss ?? "softmax", reg: o.reg ?? 0, parameters,
  };
  if (o.leakyAlpha !== undefined) manifest.leakyAlpha = o.leakyAlpha;
  if (o.delta !== undefined) manifest.delta = o.delta;
  // the manifest last, so a folder with a manifest always has all its weights
  writeFileAtomically(join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}

function readManifest(dir: string): NetworkManifest {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) {
    throw new InvalidInputError("dir", existsSync(dir) ? `${dir} has no ${MANIFEST}: it is not a saved network (saveNetwork writes one)` : `no such folder: ${dir}`);
  }
  let manifest: NetworkManifest;
  try {
    manifest = JSON.parse(readFileSync(path, "utf8")) as NetworkManifest;
  } catch (e) {
    throw new InvalidInputError("dir", `${path} is not valid JSON (${(e as Error).message})`);
  }
  if (manifest.format !== FORMAT || !Array.isArray(manifest.layerSizes)) {
    throw new InvalidInputError("dir", `${path} is not a saved network (format ${JSON.stringify(manifest.format)}, expected "${FORMAT}")`);
  }
  return manifest;
}

/** Reads each parameter file of `dir` and checks it against the shapes `layerSizes` need. */
function readParameters(dir: string, layerSizes: readonly number[]): Map<string, Float32Array> {
  const values = new Map<string, Float32Array>();
  for (const [name, shape] of expectedShapes(layerSizes)) {
    const file = join(dir, `${name}.npy`);
    if (!existsSync(file)) throw new InvalidInputError("dir", `${file} is missing: a [${layerSizes.join(", ")}] network needs ${name} ${shapeText(shape)}`);
    const array = readNpy(file);
    if (array.shape.length !== shape.length || array.shape.some((s, i) => s !== shape[i])) {
      throw new InvalidInputError("dir", `${file} has shape ${shapeText(array.shape)}, but ${name} of a [${layerSizes.join(", ")}] network is ${shapeText(shape)}`);
    }
    for (let i = 0; i < array.data.length; i++) {
      if (!Number.isFinite(array.data[i]!)) throw new InvalidInputError("dir", `${file} holds ${array.data[i]} at index ${i}; weights must be finite`);
    }
    values.set(name, array.data);
  }
  return values;
}

const shapeText = (shape: readonly number[]): string => `[${shape.join(", ")}]`;

/** A network rebuilt from a folder written by `saveNetwork` (or by hand from numpy: see the header). */
export function loadNetwork(dir: string): Network {
  const manifest = readManifest(dir);
  const values = readParameters(dir, manifest.layerSizes);
  const options: NetworkOptions = { layerSizes: manifest.layerSizes, activation: manifest.activation, loss: manifest.loss, reg: manifest.reg };
  if (manifest.leakyAlpha !== undefined) options.leakyAlpha = manifest.leakyAlpha;
  if (manifest.delta !== undefined) options.delta = manifest.delta;
  const net = createNetwork(options);
  assignParameters(net, values);
  return net;
}

/** Overwrites an existing network's parameters with those saved in `dir`; the shapes must match its layer sizes. */
export function loadNetworkWeights(net: Network, dir: string): void {
  assignParameters(net, readParameters(dir, net.layerSizes));
}

function assignParameters(net: Network, values: Map<string, Float32Array>): void {
  for (const [name, data] of values) {
    tf.tidy(() => net.params[name]!.assign(tf.tensor(data, net.params[name]!.shape)));
  }
}
