/**
 * int32 constants (axes, shapes, split sizes) as native tensors made once: tfjs-node makes, uploads
 * and frees a tfjs tensor for the axes of every reduction and the shape of every reshape, which
 * costs as much as a small op itself.
 */

/** The binding functions a constant needs. */
export interface ConstantBinding {
  TF_INT32: number;
  createTensor(shape: number[], dtype: number, values: Int32Array): number;
  deleteTensor(id: number): void;
}

/** Shapes come and go with batch sizes: the least recently used constant goes past this many. */
const MAX_CONSTANTS = 1024;
const constants = new Map<string, number>();

/** A native int32 tensor of `values`: a vector by default; `shape` [] makes a scalar of the one value. */
export function int32Constant(binding: ConstantBinding, values: readonly number[], shape: number[] = [values.length]): number {
  const key = `${shape.length}:${values.join(",")}`;
  let id = constants.get(key);
  if (id !== undefined) {
    // most recently used last, so a constant just handed out is never the one evicted
    constants.delete(key);
    constants.set(key, id);
    return id;
  }
  if (constants.size >= MAX_CONSTANTS) {
    const [oldestKey, oldestId] = constants.entries().next().value as [string, number];
    constants.delete(oldestKey);
    binding.deleteTensor(oldestId);
  }
  id = binding.createTensor(shape, binding.TF_INT32, Int32Array.from(values));
  constants.set(key, id);
  return id;
}
