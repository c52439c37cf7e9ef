/**
 * Saving and loading a convolutional network like the fully connected one (persist.ts): a folder
 * with one NumPy `.npy` file per parameter (W1.npy [F, F, C, K], b1.npy, ..., and batch norm's
 * gamma/beta/runningMean/runningVar) and a `convnet.json` with the architecture. NumPy reads them:
 *   W1 = numpy.load("model/W1.npy")   # (5, 5, 1, 8) float32: filters [F, F, C, K] (TensorFlow's layout)
 * A file whose shape does not fit the architecture fails with an error naming the file and shapes.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { InvalidInputError } from "../core/checks.js";
import { writeFileAtomically } from "../core/files.js";
import { readNpy, writeNpy } from "../data/npy.js";
import { ConvNet, convNetParameterShapes, type ConvNetOptions } from "./cnn.js";

const MANIFEST = "convnet.json";
const FORMAT = "classifiers.convnet";

/** The architecture options convnet.json keeps (everything but seeds, initialisation and training defaults). */
const SAVED_OPTIONS = ["imageShape", "conv", "pool", "hidden", "numClasses", "batchNorm", "dropout", "reg"] as const;

/** What convnet.json holds. */
export interface ConvNetManifest {
  format: typeof FORMAT;
  version: 1;
  options: Pick<ConvNetOptions, (typeof SAVED_OPTIONS)[number]>;
  parameters: { name: string; file: string; shape: number[] }[];
}

/** Writes the network's parameters (running statistics included) and architecture into `dir`. Returns the manifest. */
export function saveConvNet(net: ConvNet, dir: string): ConvNetManifest {
  const parameters: ConvNetManifest["parameters"] = [];
  for (const { name, shape } of convNetParameterShapes(net.plan)) {
    const param = net.params[name];
    if (!param || param.isDisposed) throw new InvalidInputError("net", `the network's ${name} is missing or disposed; nothing was saved`);
    writeNpy(join(dir, `${name}.npy`), param.dataSync() as Float32Array, shape);
    parameters.push({ name, file: `${name}.npy`, shape });
  }
  const options: ConvNetManifest["options"] = {
    imageShape: net.plan.imageShape,
    conv: net.plan.conv.map((l) => ({ filters: l.filters, size: l.size, stride: l.stride, pad: l.pad })),
    pool: net.plan.pool,
    hidden: net.plan.affine.slice(0, -1).map((l) => l.output),
    numClasses: net.plan.numClasses,
    batchNorm: net.plan.batchNorm,
    dropout: net.plan.dropout,
    reg: net.plan.reg,
  };
  const manifest: ConvNetManifest = { format: FORMAT, version: 1, options, parameters };
  // the manifest last, so a folder with a manifest always has all its weights
  writeFileAtomically(join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}

function readManifest(dir: string): ConvNetManifest {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) {
    throw new InvalidInputError("dir", existsSync(dir) ? `${dir} has no ${MANIFEST}: it is not a saved convolutional network (saveConvNet writes one)` : `no such folder: ${dir}`);
  }
  let manifest: ConvNetManifest;
  try {
    manifest = JSON.parse(readFileSync(path, "utf8")) as ConvNetManifest;
  } catch (e) {
    throw new InvalidInputError("dir", `${path} is not valid JSON (${(e as Error).message})`);
  }
  if (manifest.format !== FORMAT || typeof manifest.options !== "object" || manifest.options === null) {
    throw new InvalidInputError("dir", `${path} is not a saved convolutional network (format ${JSON.stringify(manifest.format)}, expected "${FORMAT}")`);
  }
  return manifest;
}

/** Overwrites `net`'s parameters with the files in `dir`, each checked against the shape the architecture needs. */
export function loadConvNetWeights(net: ConvNet, dir: string): void {
  const values = new Map<string, Float32Array>();
  for (const { name, shape } of convNetParameterShapes(net.plan)) {
    const file = join(dir, `${name}.npy`);
    if (!existsSync(file)) throw new InvalidInputError("dir", `${file} is missing: this network needs ${name} [${shape.join(", ")}]`);
    const array = readNpy(file);
    if (array.shape.length !== shape.length || array.shape.some((s, i) => s !== shape[i])) {
      throw new InvalidInputError("dir", `${file} has shape [${array.shape.join(", ")}], but ${name} of this network is [${shape.join(", ")}]`);
    }
    for (let i = 0; i < array.data.length; i++) {
      if (!Number.isFinite(array.data[i]!)) throw new InvalidInputError("dir", `${file} holds ${array.data[i]} at index ${i}; parameters must be finite`);
    }
    values.set(name, array.data);
  }
  for (const [name, data] of values) tf.tidy(() => net.params[name]!.assign(tf.tensor(data, net.params[name]!.shape)));
}

/** A network rebuilt from a folder written by `saveConvNet`. */
export function loadConvNet(dir: string): ConvNet {
  const manifest = readManifest(dir);
  const net = new ConvNet(manifest.options);
  try {
    loadConvNetWeights(net, dir);
  } catch (e) {
    net.dispose();
    throw e;
  }
  return net;
}
