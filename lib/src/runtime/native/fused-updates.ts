/**
 * Optimiser updates as fused TensorFlow kernels on TensorFlow resource variables, which the
 * optimisers in optim/ receive through core/update-kernels.ts without knowing the backend.
 *
 *  - SGD's update of a parameter is one `ResourceApplyGradientDescent` kernel instead of 2
 *    element-wise kernels (batch-20 step: 373 → 341 µs), in place: a variable no clone shares lets
 *    go of its read of the resource before the update, which TensorFlow would otherwise copy first
 *    (W1 [784, 100]: 21.9 → 14.4 µs per update and read).
 *  - Adam's update of a parameter is one `ResourceApplyAdam` instead of about 12 element-wise
 *    kernels, in place like SGD's. With tfjs-node's own binding, which lets TensorFlow split any
 *    Adam kernel of 100 or more values over its thread pool (each split makes the calling thread
 *    sleep until the other thread is done, 50-200 µs on a 2-core VM), it is one kernel for all
 *    parameters on one flat resource variable instead (the parameters concatenated): for the
 *    network's four tensors the waits were ~280 µs of a ~1100 µs batch-64 step, and one kernel made
 *    it ~880 µs. The binding setup builds runs small ops on the calling thread, so there the flat
 *    copy's reshapes, concatenation and split (12 ops a step) cost more than they save:
 *    per-parameter kernels took a batch-64 step from 346-355 to 297-308 µs.
 *
 * Values equal the element-wise updates to float32 rounding (tests/optimizers.test.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { UpdateKernel, UpdateKernelProvider, UpdateSettings } from "../../core/update-kernels.js";
import { activeNativeBackend, type NativeBackend, type OpAttr } from "./binding.js";
import { int32Constant } from "./constants.js";
import { nativeReshape, sharedNativeTensor } from "./reshape.js";

/** TensorFlow's name for a resource that lives as long as its handle (eager mode's anonymous variables). */
const ANONYMOUS_RESOURCE = "cd2c89b7-88b7-44c8-ad83-06c2a9158347";

/** The few raw TensorFlow ops the fused updates chain, on native tensor ids (the caller frees outputs). */
function rawOps(backend: NativeBackend) {
  const { binding } = backend;
  const float = (name: string): OpAttr => ({ name, type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT });
  const int32 = (name: string): OpAttr => ({ name, type: binding.TF_ATTR_TYPE, value: binding.TF_INT32 });
  const one = (name: string, attrs: OpAttr[], inputs: number[]): number => (binding.executeOp(name, attrs, inputs, 1)[0] as { id: number }).id;
  return {
    reshape: (id: number, shape: readonly number[]) => nativeReshape(binding, id, shape, binding.TF_FLOAT).id,
    concat: (ids: number[]) => one("ConcatV2", [float("T"), { name: "N", type: binding.TF_ATTR_INT, value: ids.length }, int32("Tidx")], [...ids, int32Constant(backend.binding, [0], [])]),
    split: (id: number, sizes: number[]) =>
      (binding.executeOp("SplitV", [float("T"), int32("Tlen"), { name: "num_split", type: binding.TF_ATTR_INT, value: sizes.length }], [id, int32Constant(backend.binding, sizes), int32Constant(backend.binding, [0], [])], sizes.length) as { id: number }[]).map((m) => m.id),
    read: (handle: number) => one("ReadVariableOp", [float("dtype")], [handle]),
    free: (ids: number[]) => ids.forEach((id) => binding.deleteTensor(id)),
  };
}

/**
 * Resource variables (buffers that training ops update in place) that mirror groups of tfjs
 * variables, with the optimiser's state (Adam's two moments) beside them. A group of one parameter
 * keeps its shape; a larger group is one flat vector, the parameters concatenated, so that one
 * kernel updates them all. They are native handles, not tfjs tensors: freed by `dispose()`, or when
 * the optimiser holding them is garbage-collected. A tfjs variable assigned from outside since the
 * last update (restoring a snapshot, loading weights) is copied in before the next update.
 */
class Mirrors {
  private readonly entries = new Map<string, { handle: number; state: number[]; mirrored: object[] }>();
  /** Every native handle made, for the finaliser (which must not hold `this`). */
  private readonly handles: number[] = [];
  private readonly float: OpAttr;
  private readonly ops: ReturnType<typeof rawOps>;
  constructor(
    private readonly backend: NativeBackend,
    private readonly stateCount: number,
  ) {
    this.float = { name: "dtype", type: backend.binding.TF_ATTR_TYPE, value: backend.binding.TF_FLOAT };
    this.ops = rawOps(backend);
    freeHandles.register(this, { binding: backend.binding, handles: this.handles }, this);
  }
  private create(shape: readonly number[], value: number): number {
    const { binding } = this.backend;
    const [meta] = binding.executeOp("VarHandleOp", [
      { name: "container", type: binding.TF_ATTR_STRING, value: "" },
      { name: "shared_name", type: binding.TF_ATTR_STRING, value: ANONYMOUS_RESOURCE },
      this.float,
      { name: "shape", type: binding.TF_ATTR_SHAPE, value: shape },
    ], [], 1) as [{ id: number }];
    this.handles.push(meta.id);
    this.assign(meta.id, value);
    return meta.id;
  }
  private assign(handle: number, value: number): void {
    const { binding } = this.backend;
    binding.executeOp("AssignVariableOp", [this.float, { name: "validate_shape", type: binding.TF_ATTR_BOOL, value: false }], [handle, value], 0);
  }
  /**
   * Native ids of the tensors as the group's variable holds them: the tensor itself for a group of
   * one, else one flat concatenation; `made` lists the ids to free after use.
   */
  flat(tensors: tf.Tensor[]): { id: number; made: number[] } {
    const ids = this.backend.getInputTensorIds(tensors);
    if (tensors.length === 1) return { id: ids[0]!, made: [] };
    const pieces = ids.map((id) => this.ops.reshape(id, [-1]));
    const id = this.ops.concat(pieces);
    this.ops.free(pieces);
    return { id, made: [id] };
  }
  /** The handles of the group's resource variable and of its state, in sync with the tfjs variables. */
  get(names: string[], params: tf.Variable[]): number[] {
    const key = names.join(",");
    let entry = this.entries.get(key);
    if (!entry || entry.mirrored.some((dataId, i) => dataId !== params[i]!.dataId)) {
      const value = this.flat(params);
      const shape = params.length === 1 ? params[0]!.shape : [params.reduce((n, p) => n + p.size, 0)];
      if (!entry) {
        const zeros = tf.zeros(shape);
        const state = Array.from({ length: this.stateCount }, () => this.create(shape, this.backend.getInputTensorIds([zeros])[0]!));
        zeros.dispose();
        entry = { handle: this.create(shape, value.id), state, mirrored: [] };
        this.entries.set(key, entry);
      } else {
        this.assign(entry.handle, value.id);
      }
      this.ops.free(value.made);
      entry.mirrored = params.map((p) => p.dataId);
    }
    return [entry.handle, ...entry.state];
  }
  /**
   * Runs `update` on the group's resource variable, then reads the result into its tfjs variables.
   * A tfjs variable holds a read of the resource, which shares its buffer, so TensorFlow would copy
   * the whole buffer before updating it in place (7 µs of a 22 µs update of W1 [784, 100]). A
   * variable no other tfjs tensor shares (no clones) therefore gives its native tensor up first, and
   * afterwards takes the new read under the same data id: no copy, and no tfjs tensor made and
   * assigned per parameter. A shared one is assigned a new tensor, so its clones keep their values.
   */
  update(names: string[], params: tf.Variable[], update: () => void): void {
    const entry = this.entries.get(names.join(","))!;
    const alone = params.map((p) => {
      const record = this.backend.tensorMap.get(p.dataId)!;
      return this.backend.refCount(p.dataId) === 1 && record.values == null && !record.nativeShape && !sharedNativeTensor(record.id);
    });
    // Only a group of one shares the resource's buffer; a larger group's variables are slices of its read.
    if (params.length === 1 && alone[0]) this.release(params[0]!);
    try {
      update();
    } finally {
      const read = this.ops.read(entry.handle);
      let pieces = [read];
      if (params.length > 1) {
        const split = this.ops.split(read, params.map((p) => p.size));
        pieces = split.map((id, i) => this.ops.reshape(id, params[i]!.shape));
        this.ops.free([read, ...split]);
      }
      params.forEach((param, i) => {
        if (alone[i]) {
          this.release(param);
          this.backend.tensorMap.get(param.dataId)!.id = pieces[i]!;
          return;
        }
        const value = this.backend.createOutputTensor({ id: pieces[i]!, shape: param.shape, dtype: this.backend.binding.TF_FLOAT });
        param.assign(value);
        value.dispose();
      });
      entry.mirrored = params.map((p) => p.dataId);
    }
  }
  /** Frees the native tensor behind a variable no other tensor shares (the caller gives it a new one). */
  private release(param: tf.Variable): void {
    const info = this.backend.tensorMap.get(param.dataId)!;
    if (info.id >= 0) this.backend.binding.deleteTensor(info.id);
    info.id = -1;
  }
  dispose(): void {
    freeHandles.unregister(this);
    for (const handle of this.handles.splice(0)) this.backend.binding.deleteTensor(handle);
    this.entries.clear();
  }
}

const freeHandles = new FinalizationRegistry<{ binding: NativeBackend["binding"]; handles: number[] }>(({ binding, handles }) => {
  for (const handle of handles) binding.deleteTensor(handle);
});

/** An optimiser update as fused native kernels: one update kernel per parameter (SGD) or for all of them (Adam), then reads into the tfjs variables. */
export type FusedUpdate<Settings> = UpdateKernel<Settings>;

function fusedUpdate<Settings>(
  stateCount: number,
  op: string,
  extraAttrs: (binding: NativeBackend["binding"]) => OpAttr[],
  values: (settings: Settings) => number[],
  /** One kernel for all parameters (a flat group) instead of one per parameter. */
  grouped: boolean,
): FusedUpdate<Settings> | undefined {
  const backend = activeNativeBackend();
  if (!backend) return undefined;
  const mirrors = new Mirrors(backend, stateCount);
  const { binding } = backend;
  const attrs: OpAttr[] = [
    { name: "T", type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
    { name: "use_locking", type: binding.TF_ATTR_BOOL, value: false },
    ...extraAttrs(binding),
  ];
  // The settings as native scalars, kept while they stay the same (a constant SGD rate: one upload in all).
  let scalarValues: number[] = [];
  const scalars: number[] = [];
  const freeScalars = (): void => {
    for (const id of scalars.splice(0)) binding.deleteTensor(id);
    scalarValues = [];
  };
  const update: FusedUpdate<Settings> = {
    step(params, grads, settings) {
      const names = Object.keys(grads);
      const groups = grouped ? [names] : names.map((name) => [name]);
      const now = values(settings);
      if (now.some((x, i) => !Object.is(x, scalarValues[i]))) {
        freeScalars();
        scalars.push(...now.map((x) => binding.createTensor([], binding.TF_FLOAT, Float32Array.of(x))));
        scalarValues = now;
      }
      for (const group of groups) {
        const targets = group.map((name) => params[name]!);
        const handles = mirrors.get(group, targets);
        const grad = mirrors.flat(group.map((name) => grads[name]!));
        try {
          mirrors.update(group, targets, () => binding.executeOp(op, attrs, [...handles, ...scalars, grad.id], 0));
        } finally {
          grad.made.forEach((id) => binding.deleteTensor(id));
        }
      }
    },
    dispose: () => {
      freeHandles.unregister(update);
      freeScalars();
      mirrors.dispose();
    },
  };
  freeHandles.register(update, { binding, handles: scalars }, update);
  return update;
}

/** Whether Adam updates all parameters as one flat group (see the header); set when the backend loads. */
let adamAsOneGroup = true;

/** `false` when the binding runs small ops on the calling thread (runtime/backend.ts decides); returns the previous setting. Applies to optimisers made afterwards. */
export function setAdamAsOneGroup(grouped: boolean): boolean {
  const previous = adamAsOneGroup;
  adamAsOneGroup = grouped;
  return previous;
}

/**
 * Adam on the native backend: `ResourceApplyAdam` updates each parameter and both its moments in
 * place, then a read goes into the tfjs variable; or, as one group, one kernel over all parameters
 * concatenated and one read split back. Undefined on other backends.
 */
export function fusedAdam(): FusedUpdate<UpdateSettings["adam"]> | undefined {
  return fusedUpdate<UpdateSettings["adam"]>(2, "ResourceApplyAdam", (binding) => [{ name: "use_nesterov", type: binding.TF_ATTR_BOOL, value: false }],
    // β₁ᵗ = β₂ᵗ = 0 makes the kernel's own bias correction 1: `rate` and `epsilon` carry it.
    (s) => [0, 0, s.rate, s.beta1, s.beta2, s.epsilon],
    adamAsOneGroup);
}

/** Plain SGD on the native backend: one `ResourceApplyGradientDescent` and one read per parameter. */
export function fusedSgd(): FusedUpdate<UpdateSettings["sgd"]> | undefined {
  return fusedUpdate<UpdateSettings["sgd"]>(0, "ResourceApplyGradientDescent", () => [], (s) => [s.rate], false);
}

/** The optimisers' update kernels on the native backend (core/update-kernels.ts); undefined elsewhere. */
export const nativeUpdateKernels = ((rule: keyof UpdateSettings) => (rule === "adam" ? fusedAdam() : fusedSgd())) as UpdateKernelProvider;
