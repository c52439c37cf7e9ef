/** runtime/native/: the native backend's fast paths, as backend.ts, the tests and the benchmarks use them. */
export { installNativeKernels, setNativeKernels } from "./kernels.js";
export { expectedSignals, nativeMatMulBlocker, profilerInSight } from "./signals.js";
export { FUSED_AFFINE_MAX_MACS } from "./fused-affine.js";
export { fusedAdam, fusedSgd, setAdamAsOneGroup, type FusedUpdate } from "./fused-updates.js";
export { requireTfjsNode, withoutStartupLines } from "./startup-log.js";
