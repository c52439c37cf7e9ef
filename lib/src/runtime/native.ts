/**
 * Fast paths on the native `tensorflow` backend (tfjs-node): TensorFlow ops that tfjs-node does not
 * use, for the small tensors of mini-batch training, where each kernel call's fixed cost outweighs
 * its arithmetic. Measured on 2 cores (`node --import tsx bench/bench.ts mlp-fashion-mnist-adam`):
 *
 *  - Matrix products of two 2-D tensors run TensorFlow's `MatMul`. tfjs-node runs every product as
 *    `BatchMatMulV2`, which costs ~185 µs for [20, 784]·[784, 100] against 46 µs for `MatMul`, and
 *    ~125 µs against 17 µs for [20, 100]·[100, 10]. Large products run at the same speed either way.
 *    Installed as tfjs's `BatchMatMul` kernel, so `tf.matMul` and its gradients use it everywhere.
 *  - Adam's update of a parameter is one `ResourceApplyAdam` kernel instead of about 12 element-wise
 *    kernels; it needs TensorFlow resource variables, which `fusedAdam` keeps beside the tfjs ones.
 *
 * Values are the same as on the other backends (the tests compare them).
 */
import * as tf from "@tensorflow/tfjs-core";

/** The parts of tfjs-node's backend used here (its `binding` is the N-API module). */
interface NativeBackend {
  binding: {
    TF_ATTR_BOOL: number;
    TF_ATTR_STRING: number;
    TF_ATTR_TYPE: number;
    TF_ATTR_SHAPE: number;
    TF_FLOAT: number;
  };
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: tf.TensorInfo[]): tf.Tensor;
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: tf.TensorInfo[], numOutputs: number): tf.Tensor[];
}

interface OpAttr {
  name: string;
  type: number;
  value: boolean | number | string | number[];
}

const NATIVE = "tensorflow";

function activeNativeBackend(): NativeBackend | undefined {
  return tf.getBackend() === NATIVE ? (tf.backend() as unknown as NativeBackend) : undefined;
}

let kernelsInstalled = false;

/** Registers the native fast kernels (once; called when the native backend loads). */
export function installNativeKernels(): void {
  if (kernelsInstalled) return;
  const batchMatMul = tf.getKernel("BatchMatMul", NATIVE);
  if (!batchMatMul) return; // tfjs-node not registered: nothing to replace
  kernelsInstalled = true;
  tf.unregisterKernel("BatchMatMul", NATIVE);
  tf.registerKernel({
    kernelName: "BatchMatMul",
    backendName: NATIVE,
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      if (a.shape.length !== 2 || b.shape.length !== 2 || a.dtype !== "float32" || b.dtype !== "float32") return batchMatMul.kernelFunc(args);
      const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
      const backend = args.backend as unknown as NativeBackend;
      const { binding } = backend;
      return backend.executeSingleOutput("MatMul", [
        { name: "T", type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
        { name: "transpose_a", type: binding.TF_ATTR_BOOL, value: transposeA },
        { name: "transpose_b", type: binding.TF_ATTR_BOOL, value: transposeB },
      ], [a, b]);
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Resource variables and the fused Adam update

/** TensorFlow's name for a resource that lives as long as its handle (eager mode's anonymous variables). */
const ANONYMOUS_RESOURCE = "cd2c89b7-88b7-44c8-ad83-06c2a9158347";

/** A float32 TensorFlow resource variable: a buffer that training ops update in place. */
class ResourceVariable {
  readonly handle: tf.Tensor;
  constructor(
    private readonly backend: NativeBackend,
    initial: tf.Tensor,
  ) {
    const { binding } = backend;
    // kept: the handle outlives any tf.tidy it is created in (dispose() frees it)
    this.handle = tf.keep(backend.executeSingleOutput("VarHandleOp", [
      { name: "container", type: binding.TF_ATTR_STRING, value: "" },
      { name: "shared_name", type: binding.TF_ATTR_STRING, value: ANONYMOUS_RESOURCE },
      { name: "dtype", type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
      { name: "shape", type: binding.TF_ATTR_SHAPE, value: initial.shape },
    ], []));
    this.assign(initial);
  }
  assign(value: tf.Tensor): void {
    const { binding } = this.backend;
    this.backend.executeMultipleOutputs("AssignVariableOp", [
      { name: "dtype", type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
      { name: "validate_shape", type: binding.TF_ATTR_BOOL, value: false },
    ], [this.handle, value], 0);
  }
  /** A tensor with the current value (TensorFlow copies the buffer before a later in-place update). */
  read(): tf.Tensor {
    const { binding } = this.backend;
    return this.backend.executeSingleOutput("ReadVariableOp", [{ name: "dtype", type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT }], [this.handle]);
  }
  dispose(): void {
    this.handle.dispose();
  }
}

/** The resource variables behind one parameter: its value, Adam's two moments, and which tfjs value it mirrors. */
interface AdamSlots {
  param: ResourceVariable;
  m: ResourceVariable;
  v: ResourceVariable;
  /** The tfjs variable's data when we last wrote it: anything else means it was assigned from outside. */
  mirrored: object;
}

/** Adam's settings for one step; `rate` and `epsilon` already carry the bias corrections of step t. */
export interface AdamStepSettings {
  rate: number;
  epsilon: number;
  beta1: number;
  beta2: number;
}

/**
 * Adam on the native backend: per parameter, one `ResourceApplyAdam` (which updates the parameter and
 * both moments in place) and one read into the tfjs variable. A parameter assigned from outside
 * (restoring a snapshot, loading weights) is copied into its resource variable before the next update.
 */
export interface FusedAdam {
  step(params: Record<string, tf.Variable>, grads: Record<string, tf.Tensor>, settings: AdamStepSettings): void;
  dispose(): void;
}

/** A fused Adam when the native backend is active, else undefined (use the element-wise update). */
export function fusedAdam(): FusedAdam | undefined {
  const backend = activeNativeBackend();
  if (!backend) return undefined;
  const slots = new Map<string, AdamSlots>();
  const slotsFor = (name: string, param: tf.Variable): AdamSlots => {
    let s = slots.get(name);
    if (!s) {
      const zeros = tf.zeros(param.shape);
      s = { param: new ResourceVariable(backend, param), m: new ResourceVariable(backend, zeros), v: new ResourceVariable(backend, zeros), mirrored: param.dataId };
      zeros.dispose();
      slots.set(name, s);
    } else if (s.mirrored !== param.dataId) {
      s.param.assign(param);
    }
    return s;
  };
  const { binding } = backend;
  const attrs: OpAttr[] = [
    { name: "T", type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
    { name: "use_locking", type: binding.TF_ATTR_BOOL, value: false },
    { name: "use_nesterov", type: binding.TF_ATTR_BOOL, value: false },
  ];
  return {
    step(params, grads, settings) {
      tf.tidy(() => {
        // β₁ᵗ = β₂ᵗ = 0 makes the kernel's own bias correction 1: `rate` and `epsilon` carry it.
        const zero = tf.scalar(0);
        const scalars = [zero, zero, tf.scalar(settings.rate), tf.scalar(settings.beta1), tf.scalar(settings.beta2), tf.scalar(settings.epsilon)];
        for (const [name, grad] of Object.entries(grads)) {
          const param = params[name]!;
          const s = slotsFor(name, param);
          backend.executeMultipleOutputs("ResourceApplyAdam", attrs, [s.param.handle, s.m.handle, s.v.handle, ...scalars, grad], 0);
          const value = s.param.read();
          param.assign(value);
          s.mirrored = param.dataId;
        }
      });
    },
    dispose() {
      for (const s of slots.values()) for (const r of [s.param, s.m, s.v]) r.dispose();
      slots.clear();
    },
  };
}
