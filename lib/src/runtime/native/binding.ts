/**
 * The parts of tfjs-node's backend the native fast paths use: its N-API binding (TensorFlow's eager
 * ops by name, on native tensor ids) and its record of which native tensor each tfjs tensor is.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { ReshapeBackend } from "./reshape.js";

/** The parts of tfjs-node's backend used here (its `binding` is the N-API module). */
export interface NativeBackend extends ReshapeBackend {
  binding: ReshapeBackend["binding"] & {
    TF_ATTR_BOOL: number;
    TF_ATTR_STRING: number;
    TF_ATTR_TYPE: number;
    TF_ATTR_SHAPE: number;
    TF_FLOAT: number;
    TF_INT32: number;
    TF_ATTR_INT: number;
    createTensor(shape: number[], dtype: number, values: Int32Array | Float32Array): number;
    deleteTensor(id: number): void;
    executeOp(name: string, attrs: OpAttr[], inputIds: number[], numOutputs: number): unknown[];
  };
  getInputTensorIds(inputs: tf.TensorInfo[]): number[];
  createOutputTensor(metadata: unknown): tf.Tensor;
  /** How many tfjs tensors share a data id (a variable and its clones). */
  refCount(dataId: object): number;
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: tf.TensorInfo[]): tf.Tensor;
}

export interface OpAttr {
  name: string;
  type: number;
  value: boolean | number | string | readonly number[] | readonly string[];
}

export const NATIVE = "tensorflow";

export function activeNativeBackend(): NativeBackend | undefined {
  return tf.getBackend() === NATIVE ? (tf.backend() as unknown as NativeBackend) : undefined;
}

/** The attributes of TensorFlow's float32 `MatMul`, which `_FusedMatMul` extends. */
export function productAttrs(binding: NativeBackend["binding"], transposeA: boolean, transposeB: boolean): OpAttr[] {
  return [
    { name: "T", type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
    { name: "transpose_a", type: binding.TF_ATTR_BOOL, value: transposeA },
    { name: "transpose_b", type: binding.TF_ATTR_BOOL, value: transposeB },
  ];
}

