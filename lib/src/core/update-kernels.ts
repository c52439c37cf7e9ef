/**
 * Where a backend may offer a whole optimiser update as its own kernel. The optimisers in optim/
 * ask `updateKernel(rule)` and, when there is one, hand it each step's parameters, gradients and
 * settings; otherwise they compute with their element-wise ops, which are the definition. Nothing
 * here knows a backend: runtime/ installs the provider when a backend that has such kernels loads
 * (the native one: all of Adam's parameters in one TensorFlow kernel), and the values agree with
 * the element-wise ops to float32 rounding (tests/optimizers.test.ts).
 */
import type * as tf from "@tensorflow/tfjs-core";

/** One step of a fused update; `rate` and `epsilon` of Adam already carry the bias corrections of step t. */
export interface UpdateSettings {
  sgd: { rate: number };
  adam: { rate: number; epsilon: number; beta1: number; beta2: number };
}

export type UpdateRule = keyof UpdateSettings;

/** A whole update as a backend's kernels: params are updated in place; grads have the params' shapes. */
export interface UpdateKernel<Settings> {
  step(params: Record<string, tf.Variable>, grads: Record<string, tf.Tensor>, settings: Settings): void;
  /** Frees what the kernel keeps (its copy of the optimiser's state). */
  dispose(): void;
}

/** Makes an update kernel for a rule on the active backend, or undefined where it has none. */
export type UpdateKernelProvider = <R extends UpdateRule>(rule: R) => UpdateKernel<UpdateSettings[R]> | undefined;

let provider: UpdateKernelProvider | undefined;

/** Installs (or, with undefined, removes) the provider; runtime/ calls this when a backend loads. */
export function provideUpdateKernels(next: UpdateKernelProvider | undefined): void {
  provider = next;
}

/** An update kernel for `rule` on the active backend, or undefined: then the optimiser's own ops run. */
export function updateKernel<R extends UpdateRule>(rule: R): UpdateKernel<UpdateSettings[R]> | undefined {
  return provider?.(rule);
}
