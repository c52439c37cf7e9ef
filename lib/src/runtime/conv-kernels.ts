/**
 * Convolution and pooling kernels the backends lack or get wrong, installed behind TensorFlow.js's
 * kernel registry so that the convolutional layers (nn/conv.ts, nn/pool.ts) call the same ops on
 * every backend: `tf.conv2d`, `tf.conv2dTranspose` (`Conv2DBackpropInput`), `Conv2DBackpropFilter`,
 * `tf.maxPool` and `MaxPoolGrad`.
 *
 *  - tensorflow (tfjs-node): its `Conv2DBackpropInput` and `Conv2DBackpropFilter` kernels refuse
 *    explicit zero padding ("TF Backend supports only 'valid' and 'same' padding"), though
 *    TensorFlow's ops take it (`padding: "EXPLICIT"`, `explicit_paddings`) and tfjs-node's forward
 *    `Conv2D` passes it on. These versions of the three pass it on too, as "SAME" where it is exactly
 *    SAME's padding (TensorFlow runs explicit padding through slower code), and keep the size vectors
 *    the gradient ops need as native constants made once (tfjs-node makes, uploads and frees one per
 *    call).
 *  - wasm: there is no `Conv2DBackpropFilter` kernel (so neither `tf.grad` of a convolution nor the
 *    layers' backward could run). This one builds the patch matrix (im2col, transposed: one row per
 *    filter tap and channel, one column per output position) and multiplies it by dout with the
 *    backend's own matrix product: dW [F·F·C, K] = cols [F·F·C, N·H'·W'] · dout [N·H'·W', K].
 *    Its `Conv2DBackpropInput` is a plain loop (49 ms for the second layer of notebook 05's network at
 *    a batch of 64); with stride 1 this one runs it as what it is, a convolution of dout with the
 *    filters flipped and their channels swapped, padded by F − 1 − P, through the backend's own
 *    convolution (XNNPACK). Its `MaxPoolGrad` (tfjs-backend-wasm 4.22) drops the gradient of every window whose maximum is
 *    negative; this one routes each window's gradient to its argmax whatever the sign.
 *
 * `installConvKernels(name)` runs once the backend `name` is active (runtime/backend.ts).
 */
import * as tf from "@tensorflow/tfjs-core";
import { int32Constant } from "./native/constants.js";

/** The parts of tfjs-node's backend used here. */
interface NativeBackend {
  binding: {
    TF_ATTR_BOOL: number;
    TF_ATTR_STRING: number;
    TF_ATTR_TYPE: number;
    TF_ATTR_INT: number;
    TF_FLOAT: number;
    TF_INT32: number;
    createTensor(shape: number[], dtype: number, values: Int32Array): number;
    deleteTensor(id: number): void;
    executeOp(name: string, attrs: { name: string; type: number; value: unknown }[], inputIds: number[], numOutputs: number): unknown[];
  };
  getInputTensorIds(inputs: tf.TensorInfo[]): number[];
  createOutputTensor(metadata: unknown): tf.Tensor;
}

/** The parts of tfjs-backend-wasm's backend used here. */
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  disposeData(dataId: object): boolean;
}

interface ConvAttrs {
  strides: number | [number, number];
  pad: "valid" | "same" | number | number[][];
  dataFormat?: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape?: [number, number, number, number];
  inputShape?: [number, number, number, number];
}

const installed = new Set<string>();

/** Installs this file's kernels for the backend `name` (once; a no-op for backends that need none). */
export function installConvKernels(name: string): void {
  if (installed.has(name)) return;
  installed.add(name);
  if (name === "tensorflow") {
    for (const kernelName of ["Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"] as const) {
      tf.unregisterKernel(kernelName, name);
      tf.registerKernel({ kernelName, backendName: name, kernelFunc: (args) => nativeConv(kernelName, args) });
    }
  } else if (name === "wasm") {
    if (!tf.getKernel("Conv2DBackpropFilter", name)) {
      tf.registerKernel({ kernelName: "Conv2DBackpropFilter", backendName: name, kernelFunc: wasmConvFilterGradient });
    }
    const original = tf.getKernel("Conv2DBackpropInput", name);
    if (original) {
      tf.unregisterKernel("Conv2DBackpropInput", name);
      tf.registerKernel({ kernelName: "Conv2DBackpropInput", backendName: name, kernelFunc: (args) => wasmConvInputGradient(args, original.kernelFunc) });
    }
    tf.unregisterKernel("MaxPoolGrad", name);
    tf.registerKernel({ kernelName: "MaxPoolGrad", backendName: name, kernelFunc: wasmMaxPoolGrad });
  }
}

// ---------------------------------------------------------------------------------------------
// tensorflow: the two backprop ops with explicit padding


/**
 * TensorFlow's name for the padding of `info`: "VALID" for none, "SAME" where explicit padding is
 * exactly what SAME would add (stride 1 with P = (F − 1)/2 on both sides, say), else "EXPLICIT".
 * The result is the same; the speed is not: on the CPU, TensorFlow's gradient ops run explicit
 * padding through slower generic code (a batch of 64 images 28×28, 5×5 filters, P = 2: the filter
 * gradient took 7.2 ms with EXPLICIT, 0.5 ms with SAME).
 */
function paddingName(info: tf.backend_util.Conv2DInfo): "VALID" | "SAME" | "EXPLICIT" {
  const { top, bottom, left, right } = info.padInfo;
  if (top === 0 && bottom === 0 && left === 0 && right === 0) return "VALID";
  const same = (size: number, stride: number, filter: number): [number, number] => {
    const along = Math.max((Math.ceil(size / stride) - 1) * stride + filter - size, 0);
    return [Math.floor(along / 2), along - Math.floor(along / 2)];
  };
  const [sameTop, sameBottom] = same(info.inHeight, info.strideHeight, info.filterHeight);
  const [sameLeft, sameRight] = same(info.inWidth, info.strideWidth, info.filterWidth);
  return top === sameTop && bottom === sameBottom && left === sameLeft && right === sameRight ? "SAME" : "EXPLICIT";
}

type NativeConvKernel = "Conv2D" | "Conv2DBackpropInput" | "Conv2DBackpropFilter";

/** TensorFlow's convolution or one of its gradients, with the padding as `paddingName` says. */
function nativeConv(kernelName: NativeConvKernel, args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const backend = args.backend as unknown as NativeBackend;
  const { binding } = backend;
  const attrs = args.attrs as unknown as ConvAttrs & { dilations?: number | [number, number] };
  const inputs = args.inputs as Record<string, tf.TensorInfo>;
  const shape4 = (t: tf.TensorInfo) => t.shape as [number, number, number, number];
  // the image and filter shapes, from an input or from the attributes, as each kernel has them
  const xShape = kernelName === "Conv2DBackpropInput" ? attrs.inputShape! : shape4(inputs.x!);
  const wShape = kernelName === "Conv2DBackpropFilter" ? attrs.filterShape! : shape4(inputs.filter!);
  const dilations = kernelName === "Conv2D" ? (attrs.dilations ?? 1) : 1;
  const dataFormat = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat ?? "NHWC");
  const info = tf.backend_util.computeConv2DInfo(xShape, wShape, attrs.strides, dilations, attrs.pad as never, attrs.dimRoundingMode, false, dataFormat);
  const nhwc = info.dataFormat === "channelsLast";
  const padding = paddingName(info);
  const opAttrs = [
    { name: "T", type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
    { name: "strides", type: binding.TF_ATTR_INT, value: nhwc ? [1, info.strideHeight, info.strideWidth, 1] : [1, 1, info.strideHeight, info.strideWidth] },
    { name: "padding", type: binding.TF_ATTR_STRING, value: padding },
    { name: "data_format", type: binding.TF_ATTR_STRING, value: nhwc ? "NHWC" : "NCHW" },
    { name: "use_cudnn_on_gpu", type: binding.TF_ATTR_BOOL, value: false },
    { name: "dilations", type: binding.TF_ATTR_INT, value: nhwc ? [1, info.dilationHeight, info.dilationWidth, 1] : [1, 1, info.dilationHeight, info.dilationWidth] },
  ];
  if (padding === "EXPLICIT") {
    const { top, bottom, left, right } = info.padInfo;
    opAttrs.push({ name: "explicit_paddings", type: binding.TF_ATTR_INT, value: nhwc ? [0, 0, top, bottom, left, right, 0, 0] : [0, 0, 0, 0, top, bottom, left, right] });
  }
  let ids: number[];
  if (kernelName === "Conv2D") ids = backend.getInputTensorIds([inputs.x!, inputs.filter!]);
  else if (kernelName === "Conv2DBackpropInput") ids = [int32Constant(backend.binding, xShape), ...backend.getInputTensorIds([inputs.filter!, inputs.dy!])];
  else ids = [backend.getInputTensorIds([inputs.x!])[0]!, int32Constant(backend.binding, wShape), backend.getInputTensorIds([inputs.dy!])[0]!];
  const [out] = binding.executeOp(kernelName, opAttrs, ids, 1);
  return backend.createOutputTensor(out);
}

// ---------------------------------------------------------------------------------------------
// wasm: the filter gradient as one matrix product, and a max-pool gradient for any sign

function wasmConvFilterGradient(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const backend = args.backend as unknown as WasmBackend;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs;
  const dataFormat = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat ?? "NHWC");
  if (dataFormat !== "channelsLast") throw new Error("Conv2DBackpropFilter on wasm: only NHWC images");
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape!, attrs.strides, 1, attrs.pad as never, attrs.dimRoundingMode, false, dataFormat);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: outH, outWidth: outW, outChannels: k, filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const positions = n * outH * outW;
  const taps = fh * fw * c;
  // cols[(a·fw + b)·c + ch][(img·outH + i)·outW + j] = x[img, i·sh + a − top, j·sw + b − left, ch] (0 in the padding)
  const cols = backend.makeOutput([taps, positions], "float32");
  try {
    const xs = backend.typedArrayFromHeap(x);
    const cs = backend.typedArrayFromHeap(cols);
    for (let a = 0; a < fh; a++) {
      for (let b = 0; b < fw; b++) {
        for (let ch = 0; ch < c; ch++) {
          const rowStart = ((a * fw + b) * c + ch) * positions;
          let p = rowStart;
          for (let img = 0; img < n; img++) {
            for (let i = 0; i < outH; i++) {
              const row = i * sh + a - top;
              if (row < 0 || row >= h) {
                cs.fill(0, p, p + outW);
                p += outW;
                continue;
              }
              const base = (img * h + row) * w;
              for (let j = 0; j < outW; j++, p++) {
                const col = j * sw + b - left;
                cs[p] = col >= 0 && col < w ? xs[(base + col) * c + ch]! : 0;
              }
            }
          }
        }
      }
    }
    const matMul = tf.getKernel("BatchMatMul", "wasm")!.kernelFunc;
    const product = matMul({
      inputs: { a: cols, b: { dataId: dy.dataId, shape: [positions, k], dtype: "float32" } },
      attrs: { transposeA: false, transposeB: false },
      backend: args.backend,
    }) as tf.TensorInfo;
    return { dataId: product.dataId, shape: [fh, fw, c, k], dtype: "float32" };
  } finally {
    backend.disposeData(cols.dataId);
  }
}

/**
 * dx of a stride-1 convolution as a convolution: dx = conv(dout, W') with W'[a, b, k, c] =
 * W[F − 1 − a, F − 1 − b, c, k] and padding F − 1 − P. Other strides keep the backend's kernel.
 */
function wasmConvInputGradient(args: Parameters<tf.KernelFunc>[0], original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as unknown as WasmBackend;
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs;
  const dataFormat = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat ?? "NHWC");
  const info = tf.backend_util.computeConv2DInfo(attrs.inputShape!, filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad as never, attrs.dimRoundingMode, false, dataFormat);
  const { filterHeight: fh, filterWidth: fw, inChannels: c, outChannels: k, padInfo } = info;
  const top = fh - 1 - padInfo.top;
  const bottom = fh - 1 - padInfo.bottom;
  const left = fw - 1 - padInfo.left;
  const right = fw - 1 - padInfo.right;
  if (info.strideHeight !== 1 || info.strideWidth !== 1 || dataFormat !== "channelsLast" || Math.min(top, bottom, left, right) < 0) return original(args);
  const flipped = backend.makeOutput([fh, fw, k, c], "float32");
  try {
    const ws = backend.typedArrayFromHeap(filter);
    const fs = backend.typedArrayFromHeap(flipped);
    for (let a = 0; a < fh; a++) {
      for (let b = 0; b < fw; b++) {
        for (let ch = 0; ch < c; ch++) {
          for (let kk = 0; kk < k; kk++) fs[(((fh - 1 - a) * fw + (fw - 1 - b)) * k + kk) * c + ch] = ws[((a * fw + b) * c + ch) * k + kk]!;
        }
      }
    }
    const conv = tf.getKernel("Conv2D", "wasm")!.kernelFunc;
    return conv({
      inputs: { x: dy, filter: flipped },
      attrs: { strides: [1, 1], pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: "NHWC", dilations: [1, 1], dimRoundingMode: undefined } as unknown as tf.NamedAttrMap,
      backend: args.backend,
    });
  } finally {
    backend.disposeData(flipped.dataId);
  }
}

function wasmMaxPoolGrad(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const backend = args.backend as unknown as WasmBackend;
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as { filterSize: number | [number, number]; strides: number | [number, number]; pad: "valid" | "same" | number; dimRoundingMode?: "floor" | "round" | "ceil" };
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: outH, outWidth: outW, filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const dx = backend.makeOutput([...input.shape], "float32");
  const xs = backend.typedArrayFromHeap(input);
  const ds = backend.typedArrayFromHeap(dy);
  const out = backend.typedArrayFromHeap(dx);
  out.fill(0);
  for (let img = 0; img < n; img++) {
    for (let i = 0; i < outH; i++) {
      for (let j = 0; j < outW; j++) {
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let where = -1;
          for (let a = 0; a < fh; a++) {
            const row = i * sh + a - top;
            if (row < 0 || row >= h) continue;
            for (let b = 0; b < fw; b++) {
              const col = j * sw + b - left;
              if (col < 0 || col >= w) continue;
              const index = ((img * h + row) * w + col) * c + ch;
              if (where < 0 || xs[index]! > best) {
                best = xs[index]!;
                where = index;
              }
            }
          }
          if (where >= 0) out[where] += ds[((img * outH + i) * outW + j) * c + ch]!;
        }
      }
    }
  }
  return dx;
}
