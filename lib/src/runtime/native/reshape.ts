/**
 * Reshapes without a TensorFlow op on the native backend. tfjs-node runs every tf.reshape as a
 * TensorFlow `Reshape` (~7-10 µs a call with its shape tensor made once, 22 µs as tfjs-node makes
 * it), and tf.fused.matMul reshapes three times: its operands to [1, M, K] and [1, K, N] and its
 * result back, which made one affine layer 101 µs instead of the 74 µs of its one kernel.
 *
 * A reshape here is a second tfjs record of the same native tensor under the new shape: no op, no
 * copy (as the CPU and wasm backends do it). The native tensor keeps its own shape; a record whose
 * shape differs from it is turned into a real `Reshape` the first time an op takes it as input
 * (`getInputTensorIds`), so every op still sees the shape tfjs promised. Kernels that can use the
 * native shape as it is (fused-affine.ts's `_FusedMatMul`: a [1, M, K] record of an [M, K] tensor)
 * ask `nativeTensor` and skip that op. A native tensor held by several records is deleted with the
 * last of them.
 */
import * as tf from "@tensorflow/tfjs-core";
import { int32Constant, type ConstantBinding } from "./constants.js";

/** tfjs-node's record of one data id, plus `nativeShape` where the native tensor's shape differs. */
export interface NativeRecord {
  shape: number[];
  dtype: number;
  id: number;
  values: unknown;
  refCount: number;
  nativeShape?: number[];
}

/** The parts of tfjs-node's backend this module patches or uses. */
export interface ReshapeBackend {
  binding: ConstantBinding & {
    TF_ATTR_TYPE: number;
    executeOp(name: string, attrs: { name: string; type: number; value: unknown }[], inputIds: number[], numOutputs: number): unknown[];
  };
  tensorMap: { get(dataId: object): NativeRecord | undefined; set(dataId: object, record: NativeRecord): void; has(dataId: object): boolean; delete(dataId: object): void };
  getInputTensorIds(inputs: tf.TensorInfo[]): number[];
  disposeData(dataId: object, force?: boolean): boolean;
}

/** How many records hold each shared native tensor (absent: one). */
const holders = new Map<number, number>();

/** Whether more than one tfjs record holds this native tensor (then no record may update it in place). */
export function sharedNativeTensor(id: number): boolean {
  return (holders.get(id) ?? 1) > 1;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/** The native tensor behind a tfjs tensor and its real shape, uploading host values first. */
export function nativeTensor(backend: ReshapeBackend, info: tf.TensorInfo): { id: number; shape: number[] } {
  const record = backend.tensorMap.get(info.dataId)!;
  if (record.values != null) return { id: backend.getInputTensorIds([info])[0]!, shape: record.shape };
  return { id: record.id, shape: record.nativeShape ?? record.shape };
}

/** A tfjs record of native tensor `id` (of shape `nativeShape`) under `shape`; returns its TensorInfo. */
export function recordWithShape(backend: ReshapeBackend, id: number, nativeShape: number[], shape: number[], dtype: tf.DataType, tfDtype: number): tf.TensorInfo {
  const dataId = {};
  backend.tensorMap.set(dataId, { shape, dtype: tfDtype, id, values: null, refCount: 1, ...(sameShape(shape, nativeShape) ? {} : { nativeShape }) });
  return { dataId, shape, dtype };
}

/** TensorFlow's `Reshape` of native tensor `id` (of TensorFlow dtype `tfDtype`) to `shape`, the shape a constant made once; the caller owns the output. */
export function nativeReshape(binding: ReshapeBackend["binding"], id: number, shape: readonly number[], tfDtype: number): { id: number } {
  const [out] = binding.executeOp("Reshape", [
    { name: "T", type: binding.TF_ATTR_TYPE, value: tfDtype },
    { name: "Tshape", type: binding.TF_ATTR_TYPE, value: binding.TF_INT32 },
  ], [id, int32Constant(binding, shape)], 1) as [{ id: number }];
  return out;
}

/** Lets go of one record's hold on its native tensor; deletes the tensor when it was the last. */
function release(backend: ReshapeBackend, id: number): void {
  const count = holders.get(id) ?? 1;
  if (count > 2) holders.set(id, count - 1);
  else if (count === 2) holders.delete(id);
  else backend.binding.deleteTensor(id);
}

const patched = new WeakSet<object>();

/** Teaches tfjs-node's backend to hold shared native tensors and to reshape records when an op reads them (once per backend). */
export function installNativeReshape(backend: ReshapeBackend): void {
  if (patched.has(backend)) return;
  patched.add(backend);
  const { binding } = backend;
  const getInputTensorIds = backend.getInputTensorIds.bind(backend);
  backend.getInputTensorIds = (inputs) => {
    for (const input of inputs) {
      const record = input && "dataId" in input ? backend.tensorMap.get(input.dataId) : undefined;
      if (!record?.nativeShape || record.values != null) continue;
      // The op needs the shape tfjs promised: one real Reshape, and the record keeps its result.
      const out = nativeReshape(binding, record.id, record.shape, record.dtype);
      release(backend, record.id);
      record.id = out.id;
      delete record.nativeShape;
    }
    return getInputTensorIds(inputs);
  };
  const disposeData = backend.disposeData.bind(backend);
  backend.disposeData = (dataId, force = false) => {
    const record = backend.tensorMap.get(dataId);
    if (!record || record.id < 0 || !sharedNativeTensor(record.id)) return disposeData(dataId, force);
    record.refCount--;
    if (!force && record.refCount > 0) return false;
    release(backend, record.id);
    backend.tensorMap.delete(dataId);
    return true;
  };
}

/** A kernel for tfjs's `Reshape`: a new record of the same native tensor (see the header). */
export function reshapeKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const backend = args.backend as unknown as ReshapeBackend;
    const record = backend.tensorMap.get(x.dataId);
    if (!record || (x.dtype !== "float32" && x.dtype !== "int32")) return original(args);
    // values still on the host (a batch just gathered): upload them once, as the next op would
    if (record.values != null) backend.getInputTensorIds([x]);
    if (record.id < 0) return original(args);
    const shape = tf.util.inferFromImplicitShape([...(args.attrs as { shape: number[] }).shape], tf.util.sizeFromShape(x.shape));
    holders.set(record.id, (holders.get(record.id) ?? 1) + 1);
    return recordWithShape(backend, record.id, record.nativeShape ?? record.shape, shape, x.dtype, record.dtype);
  };
}
