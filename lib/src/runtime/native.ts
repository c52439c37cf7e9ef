/**
 * Fast paths on the native `tensorflow` backend (tfjs-node): TensorFlow ops that tfjs-node does not
 * use, for the small tensors of mini-batch training, where each kernel call's fixed cost outweighs
 * its arithmetic. Per-step gains measured on 2 cores with the 784-100-10 network of bench/mlp-entries.ts,
 * alternating both versions in one process, so machine noise hits both (`node --import tsx bench/native-ab.ts`):
 *
 *  - Matrix products of two 2-D tensors run TensorFlow's `MatMul`. tfjs-node runs every product as
 *    `BatchMatMulV2`, which costs ~185 µs for [20, 784]·[784, 100] against 46 µs for `MatMul`, and
 *    ~125 µs against 17 µs for [20, 100]·[100, 10] (a batch-20 SGD step: 1009 → 357 µs). Large
 *    products run at the same speed either way.
 *  - Float32 sums keep their axes as native constants made once; tfjs-node makes, uploads and frees
 *    a tensor for the axes of every sum (a batch-20 step: 374 → 360 µs).
 *  - SGD's update of a parameter is one `ResourceApplyGradientDescent` kernel on a TensorFlow resource
 *    variable instead of 2 element-wise kernels (batch-20 step: 373 → 341 µs), in place: a variable
 *    no clone shares lets go of its read of the resource before the update, which TensorFlow would
 *    otherwise copy first (W1 [784, 100]: 21.9 → 14.4 µs per update and read). Adam's update of all
 *    parameters is one `ResourceApplyAdam` on one flat resource variable (the parameters
 *    concatenated) instead of about 12 element-wise kernels per parameter: TensorFlow's Adam kernel
 *    splits its work over the thread pool for any tensor of 100 or more values, and each split makes
 *    the calling thread sleep until the other thread is done (50-200 µs on a 2-core VM). For the
 *    network's four tensors those waits were ~280 µs of a ~1100 µs batch-64 step; with one kernel
 *    for all, the step took ~880 µs.
 *
 *  - An affine layer x·W + b, with its ReLU, is one `_FusedMatMul` kernel instead of three (product,
 *    bias, ReLU) where the binding passes its list-of-strings attribute (the one
 *    scripts/native-backend.sh builds) and the product is small enough for one thread: a batch-64
 *    Adam step 901 → 841 µs, a batch-20 SGD step 520 → 476 µs.
 *
 * The binding scripts/native-backend.sh builds also runs ops on fewer than half a million elements
 * on the calling thread (scripts/patch-binding.py, CLASSIFIERS_SMALL_OP_ELEMENTS): TensorFlow had
 * split the flat Adam update, the gradients' concatenation and the parameters' split over its pool,
 * with a thread wake each (a batch-64 Adam step ~900 → ~600 µs).
 *
 * The kernels are installed as tfjs's `BatchMatMul` and `Sum`, so every tf.matMul / tf.sum (and
 * their gradients) use them; the optimisers in optim/ ask for `fusedSgd()` / `fusedAdam()`, the
 * network in nn/ for `fusedAffine()` (a kernel of its own, with its gradient registered).
 *
 * Except where signals are expected: `MatMul` calls oneDNN's legacy sgemm, whose generated kernels
 * point the stack register into the heap (uxlfoundation/oneDNN#4845, fixed in oneDNN 3.11.2; the
 * TensorFlow 2.21 wheel bundles an older one). A signal handled in the middle of a product writes its
 * frame there, and the process aborts later ("corrupted size vs. prev_size"). `node --cpu-prof`
 * sends such a signal about a thousand times a second, and a notebook kernel (tslab) turns "interrupt"
 * into SIGINT. The binding that scripts/native-backend.sh builds shields products from them
 * (scripts/patch-binding.py): TensorFlow's threads and the main thread block asynchronous signals
 * except SIGPROF, which it holds off around products when asked before it loads
 * (CLASSIFIERS_HOLD_SIGNALS=1, set under a profiler; 8-10 µs per product measured). With any other
 * binding, where signals are expected the product stays tfjs-node's `BatchMatMulV2` (oneDNN's
 * matmul primitive, which keeps the stack register; up to 4× slower on small products).
 * CLASSIFIERS_NATIVE_MATMUL=0 or 1 decides instead (`nativeMatMulBlocker`).
 * Values equal the other backends' to float32 rounding (tests/native.test.ts, tests/optimizers.test.ts).
 */
import inspector from "node:inspector";
import * as tf from "@tensorflow/tfjs-core";
import { provideUpdateKernels, type UpdateKernel, type UpdateKernelProvider, type UpdateSettings } from "../core/update-kernels.js";
import { NATIVE_MATMUL_ENV_VAR, requestedNativeMatMul } from "./env.js";
import { int32Constant } from "./native-constants.js";
import { installNativeReshape, nativeTensor, recordWithShape, reshapeKernel, sharedNativeTensor, type ReshapeBackend } from "./native-reshape.js";

/** The parts of tfjs-node's backend used here (its `binding` is the N-API module). */
interface NativeBackend extends ReshapeBackend {
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

interface OpAttr {
  name: string;
  type: number;
  value: boolean | number | string | readonly number[] | readonly string[];
}

const NATIVE = "tensorflow";

function activeNativeBackend(): NativeBackend | undefined {
  return tf.getBackend() === NATIVE ? (tf.backend() as unknown as NativeBackend) : undefined;
}

/** The attributes of TensorFlow's float32 `MatMul`, which `_FusedMatMul` extends. */
function productAttrs(binding: NativeBackend["binding"], transposeA: boolean, transposeB: boolean): OpAttr[] {
  return [
    { name: "T", type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
    { name: "transpose_a", type: binding.TF_ATTR_BOOL, value: transposeA },
    { name: "transpose_b", type: binding.TF_ATTR_BOOL, value: transposeB },
  ];
}

/** Our kernel for a tfjs kernel name, given tfjs-node's (for the inputs ours does not handle). */
const FAST_KERNELS: Record<string, (original: tf.KernelFunc) => tf.KernelFunc> = {
  BatchMatMul: (original) => (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (a.shape.length !== 2 || b.shape.length !== 2 || a.dtype !== "float32" || b.dtype !== "float32") return original(args);
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const backend = args.backend as unknown as NativeBackend;
    return backend.executeSingleOutput("MatMul", productAttrs(backend.binding, transposeA, transposeB), [a, b]);
  },
  // a new tfjs record of the same native tensor, no TensorFlow op (runtime/native-reshape.ts)
  Reshape: reshapeKernel,
  Sum: (original) => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype !== "float32") return original(args);
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const backend = args.backend as unknown as NativeBackend;
    const { binding } = backend;
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const [out] = binding.executeOp("Sum", [
      { name: "keep_dims", type: binding.TF_ATTR_BOOL, value: keepDims },
      { name: "T", type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
      { name: "Tidx", type: binding.TF_ATTR_TYPE, value: binding.TF_INT32 },
    ], [...backend.getInputTensorIds([x]), int32Constant(backend.binding, axes)], 1);
    return backend.createOutputTensor(out);
  },
};

/** Node options that start a sampling profiler (signals) or an inspector (which can start one at any time). */
const PROFILER_FLAG = /^--(cpu-prof|prof|inspect|inspect-brk|inspect-wait)(=|$)/;

/**
 * A sampling profiler, or an inspector that can start one, in this process: one of its options
 * (`execArgv`, NODE_OPTIONS) or an open inspector. Its SIGPROF goes to the thread being profiled.
 */
export function profilerInSight(
  env: NodeJS.ProcessEnv = process.env,
  execArgv: readonly string[] = process.execArgv,
  inspectorUrl: string | undefined = inspector.url(),
): string | undefined {
  const flag = [...execArgv, ...(env.NODE_OPTIONS ?? "").split(/\s+/)].find((option) => PROFILER_FLAG.test(option));
  return flag ?? (inspectorUrl ? "an open inspector" : undefined);
}

/**
 * What in this process may send signals in the middle of a product, or undefined: a profiler
 * (`profilerInSight`), a notebook kernel (tslab runs each cell with `breakOnSigint`: "interrupt" is
 * a SIGINT that Node handles natively, with no JavaScript listener), or a SIGINT listener.
 */
export function expectedSignals(
  env: NodeJS.ProcessEnv = process.env,
  execArgv: readonly string[] = process.execArgv,
  inspectorUrl: string | undefined = inspector.url(),
  sigintListeners: number = process.listenerCount("SIGINT"),
  notebookKernel: boolean = "__tslab__" in globalThis,
): string | undefined {
  const profiler = profilerInSight(env, execArgv, inspectorUrl);
  if (profiler) return profiler;
  if (notebookKernel) return "a notebook kernel's interrupts";
  return sigintListeners > 0 ? "a SIGINT handler" : undefined;
}

/**
 * Why TensorFlow's `MatMul` must not replace tfjs-node's product in this process (see the header),
 * or undefined when it may: CLASSIFIERS_NATIVE_MATMUL=0, or, unless it is 1, signals to expect
 * (`signals`, from `expectedSignals`) with a binding that does not shield products from them
 * (`shielded`: scripts/native-backend.sh builds one that does).
 */
export function nativeMatMulBlocker(env: NodeJS.ProcessEnv, signals: string | undefined, shielded: boolean): string | undefined {
  const requested = requestedNativeMatMul(env[NATIVE_MATMUL_ENV_VAR]);
  if (requested !== undefined) return requested ? undefined : `as ${NATIVE_MATMUL_ENV_VAR}=0 asks`;
  if (!signals || shielded) return undefined;
  return `under ${signals}, where TensorFlow's MatMul is not signal-safe in this binding (oneDNN#4845)`;
}

/** Both versions of each replaced kernel, once the native backend has loaded. */
const kernelVersions = new Map<string, { original: tf.KernelConfig; fast: tf.KernelConfig }>();

/**
 * Registers the native fast kernels (called when the native backend loads; idempotent). Returns
 * what it left out and why, for the backend's one-line summary.
 */
export function installNativeKernels(signals: string | undefined, shielded: boolean): string[] {
  if (kernelVersions.size > 0) return [];
  const notes: string[] = [];
  const matMulBlocker = nativeMatMulBlocker(process.env, signals, shielded);
  for (const [kernelName, make] of Object.entries(FAST_KERNELS)) {
    if (kernelName === "BatchMatMul" && matMulBlocker) {
      notes.push(`tfjs-node's matrix product ${matMulBlocker}`);
      continue;
    }
    const original = tf.getKernel(kernelName, NATIVE);
    if (!original) continue; // tfjs-node not registered: nothing to replace
    kernelVersions.set(kernelName, { original, fast: { kernelName, backendName: NATIVE, kernelFunc: make(original.kernelFunc) } });
  }
  // the backend is registered by now, though not yet the active one
  const backend = tf.findBackend(NATIVE) as unknown as NativeBackend | null;
  if (backend) installNativeReshape(backend);
  const fused = tf.getKernel("_FusedMatMul", NATIVE);
  fusedAffineInstalled = !matMulBlocker && backend !== null && bindingHasFusedMatMul(backend);
  if (fused) kernelVersions.set("_FusedMatMul", { original: fused, fast: { kernelName: "_FusedMatMul", backendName: NATIVE, kernelFunc: fusedMatMulKernel(fused.kernelFunc) } });
  setNativeKernels(true);
  provideUpdateKernels(nativeUpdateKernels);
  return notes;
}

/**
 * Switches between the fast kernels (on once the native backend loads) and tfjs-node's own, for
 * measuring one against the other (bench/native-ab.ts); `fusedAffine: false` keeps the fast kernels
 * but leaves `fusedAffine` off. A no-op before the native backend loads.
 */
export function setNativeKernels(fast: boolean, options: { fusedAffine?: boolean } = {}): void {
  fusedAffineOn = fast && (options.fusedAffine ?? true) && fusedAffineInstalled;
  for (const [kernelName, versions] of kernelVersions) {
    tf.unregisterKernel(kernelName, NATIVE);
    tf.registerKernel(fast ? versions.fast : versions.original);
  }
}

// ---------------------------------------------------------------------------------------------
// Affine layers as one kernel

/**
 * Products up to this many multiply-adds (M·K·N) run as TensorFlow's `_FusedMatMul`. It runs on
 * Eigen's contraction, which the binding keeps on the calling thread (scripts/patch-binding.py):
 * [64, 784]·[784, 100] (5M) took 79 µs there against 114-120 µs as MatMul, bias and ReLU kernels.
 * Bigger products (a whole test set at once) keep MatMul and oneDNN's threads.
 */
export const FUSED_AFFINE_MAX_MACS = 2 ** 23;

let fusedAffineInstalled = false;
let fusedAffineOn = false;

function fusedMatMulAttrs(binding: NativeBackend["binding"], relu: boolean, transposeA = false, transposeB = false): OpAttr[] {
  return [
    ...productAttrs(binding, transposeA, transposeB),
    { name: "num_args", type: binding.TF_ATTR_INT, value: 1 },
    { name: "fused_ops", type: binding.TF_ATTR_STRING, value: relu ? ["BiasAdd", "Relu"] : ["BiasAdd"] },
  ];
}

/**
 * Whether the binding runs TensorFlow's `_FusedMatMul`: its `fused_ops` is a list of strings, which
 * only the binding scripts/native-backend.sh builds passes on (a 1×1 product tried once tells).
 */
function bindingHasFusedMatMul(backend: NativeBackend): boolean {
  const { binding } = backend;
  const one = () => binding.createTensor([1, 1], binding.TF_FLOAT, Float32Array.of(2));
  const [x, w, b] = [one(), one(), binding.createTensor([1], binding.TF_FLOAT, Float32Array.of(-5))];
  try {
    const [out] = binding.executeOp("_FusedMatMul", fusedMatMulAttrs(binding, true), [x, w, b], 1) as { id: number }[];
    binding.deleteTensor(out!.id);
    return true;
  } catch {
    return false; // tfjs-node's own binding: string attributes only
  } finally {
    [x, w, b].forEach((id) => binding.deleteTensor(id));
  }
}

/**
 * tfjs's `_FusedMatMul` (tf.fused.matMul: x·W + b, then an activation) for the affine layers of a
 * network: float32 products of matrices (tf.fused.matMul hands them over as [1, M, K] and
 * [1, K, N]) with a bias over the columns and ReLU or no activation. Up to FUSED_AFFINE_MAX_MACS,
 * one TensorFlow `_FusedMatMul`; bigger, or on a binding without it, TensorFlow's batch product,
 * `BiasAdd` and `Relu` straight on the native tensors (tfjs-node's own version runs tfjs ops in a
 * tidy: 187 µs against 82 µs for [64, 784]·[784, 100]). Anything else keeps tfjs-node's version.
 */
function fusedMatMulKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const { transposeA, transposeB, activation } = args.attrs as { transposeA: boolean; transposeB: boolean; activation: string };
    if (!a || !b || !bias || preluActivationWeights || (activation !== "relu" && activation !== "linear")) return original(args);
    if (a.dtype !== "float32" || b.dtype !== "float32" || bias.dtype !== "float32") return original(args);
    const matrix = (t: tf.TensorInfo) => (t.shape.length === 3 && t.shape[0] === 1 ? t.shape.slice(1) : t.shape.length === 2 ? t.shape : undefined);
    const [aShape, bShape] = [matrix(a), matrix(b)];
    if (!aShape || !bShape) return original(args);
    const [m, k] = transposeA ? [aShape[1]!, aShape[0]!] : [aShape[0]!, aShape[1]!];
    const n = transposeB ? bShape[0]! : bShape[1]!;
    if (bias.shape.length !== 1 || bias.shape[0] !== n) return original(args);
    const backend = args.backend as unknown as NativeBackend;
    const { binding } = backend;
    const float = (name: string): OpAttr => ({ name, type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT });
    // the native tensors as they are: [1, M, K] from tf.fused.matMul is often an [M, K] tensor underneath
    const [A, B] = [nativeTensor(backend, a), nativeTensor(backend, b)];
    const [biasId] = backend.getInputTensorIds([bias]) as [number];
    const relu = activation === "relu";
    const made: number[] = [];
    const run = (name: string, attrs: OpAttr[], inputs: number[]): { id: number } => {
      const [out] = binding.executeOp(name, attrs, inputs, 1) as [{ id: number }];
      made.push(out.id);
      return out;
    };
    const outShape = a.shape.length === 3 || b.shape.length === 3 ? [1, m, n] : [m, n];
    try {
      let out: { id: number };
      let nativeShape: number[];
      if (fusedAffineOn && m * k * n <= FUSED_AFFINE_MAX_MACS) {
        const asMatrix = (t: { id: number; shape: number[] }, shape: number[]) =>
          t.shape.length === 2 ? t.id : run("Reshape", reshapeAttrs(binding), [t.id, int32Constant(binding, shape)]).id;
        out = run("_FusedMatMul", fusedMatMulAttrs(binding, relu, transposeA, transposeB), [asMatrix(A, aShape), asMatrix(B, bShape), biasId]);
        nativeShape = [m, n];
      } else {
        const adjoint = [{ name: "adj_x", type: binding.TF_ATTR_BOOL, value: transposeA }, { name: "adj_y", type: binding.TF_ATTR_BOOL, value: transposeB }];
        out = run("BatchMatMulV2", [float("T"), ...adjoint], [A.id, B.id]);
        out = run("BiasAdd", [float("T"), { name: "data_format", type: binding.TF_ATTR_STRING, value: "NHWC" }], [out.id, biasId]);
        if (relu) out = run("Relu", [float("T")], [out.id]);
        nativeShape = A.shape.length === 3 || B.shape.length === 3 ? [1, m, n] : [m, n];
      }
      made.pop(); // the output is handed to tfjs
      return recordWithShape(backend, out.id, nativeShape, outShape, "float32", binding.TF_FLOAT);
    } finally {
      made.forEach((id) => binding.deleteTensor(id));
    }
  };
}

function reshapeAttrs(binding: NativeBackend["binding"]): OpAttr[] {
  return [
    { name: "T", type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
    { name: "Tshape", type: binding.TF_ATTR_TYPE, value: binding.TF_INT32 },
  ];
}

// ---------------------------------------------------------------------------------------------
// Resource variables and fused optimiser updates

/** TensorFlow's name for a resource that lives as long as its handle (eager mode's anonymous variables). */
const ANONYMOUS_RESOURCE = "cd2c89b7-88b7-44c8-ad83-06c2a9158347";

/** The few raw TensorFlow ops the fused updates chain, on native tensor ids (the caller frees outputs). */
function rawOps(backend: NativeBackend) {
  const { binding } = backend;
  const float = (name: string): OpAttr => ({ name, type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT });
  const int32 = (name: string): OpAttr => ({ name, type: binding.TF_ATTR_TYPE, value: binding.TF_INT32 });
  const one = (name: string, attrs: OpAttr[], inputs: number[]): number => (binding.executeOp(name, attrs, inputs, 1)[0] as { id: number }).id;
  return {
    reshape: (id: number, shape: readonly number[]) => one("Reshape", [float("T"), int32("Tshape")], [id, int32Constant(backend.binding, [...shape])]),
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

/**
 * Adam on the native backend: one `ResourceApplyAdam` over all parameters concatenated (it updates
 * them and both moments in place), then one read split back into the tfjs variables. Undefined on
 * other backends.
 */
export function fusedAdam(): FusedUpdate<UpdateSettings["adam"]> | undefined {
  return fusedUpdate<UpdateSettings["adam"]>(2, "ResourceApplyAdam", (binding) => [{ name: "use_nesterov", type: binding.TF_ATTR_BOOL, value: false }],
    // β₁ᵗ = β₂ᵗ = 0 makes the kernel's own bias correction 1: `rate` and `epsilon` carry it.
    (s) => [0, 0, s.rate, s.beta1, s.beta2, s.epsilon],
    true);
}

/** Plain SGD on the native backend: one `ResourceApplyGradientDescent` and one read per parameter. */
export function fusedSgd(): FusedUpdate<UpdateSettings["sgd"]> | undefined {
  return fusedUpdate<UpdateSettings["sgd"]>(0, "ResourceApplyGradientDescent", () => [], (s) => [s.rate], false);
}

/** The optimisers' update kernels on the native backend (core/update-kernels.ts); undefined elsewhere. */
const nativeUpdateKernels = ((rule: keyof UpdateSettings) => (rule === "adam" ? fusedAdam() : fusedSgd())) as UpdateKernelProvider;
