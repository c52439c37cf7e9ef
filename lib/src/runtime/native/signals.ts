/**
 * Where TensorFlow's `MatMul` is safe on the native backend. It calls oneDNN's legacy sgemm, whose
 * generated kernels point the stack register into the heap (uxlfoundation/oneDNN#4845, fixed in
 * oneDNN 3.11.2; the TensorFlow 2.21 wheel bundles an older one). A signal handled in the middle of a
 * product writes its frame there, and the process aborts later ("corrupted size vs. prev_size").
 * `node --cpu-prof` sends such a signal about a thousand times a second, and a notebook kernel
 * (tslab) turns "interrupt" into SIGINT. The binding that scripts/native-backend.sh builds shields
 * products from them (scripts/patch-binding.py): TensorFlow's threads and the main thread block
 * asynchronous signals except SIGPROF, which it holds off around products when asked before it loads
 * (CLASSIFIERS_HOLD_SIGNALS=1, set under a profiler; 8-10 µs per product measured). With any other
 * binding, where signals are expected the product stays tfjs-node's `BatchMatMulV2` (oneDNN's
 * matmul primitive, which keeps the stack register; up to 4× slower on small products).
 * CLASSIFIERS_NATIVE_MATMUL=0 or 1 decides instead (`nativeMatMulBlocker`).
 */
import inspector from "node:inspector";
import { NATIVE_MATMUL_ENV_VAR, requestedNativeMatMul } from "../env.js";
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

