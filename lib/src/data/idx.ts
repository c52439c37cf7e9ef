/**
 * IDX files: the simple binary format MNIST and Fashion-MNIST ship in (LeCun's format:
 * magic `00 00 <type> <ndims>`, then ndims big-endian uint32 sizes, then the values row-major).
 * Reads raw or gzipped files (gzip is recognised by its magic bytes 1f 8b, not by file name),
 * validates everything it can, and fails with an error naming the file rather than silently
 * truncating or padding. Also writes IDX files, so tests can round-trip and loaders can cache.
 */
import { readFileSync } from "node:fs";
import { writeFileAtomically } from "../core/files.js";
import { gunzipSync, gzipSync } from "node:zlib";
import { InvalidInputError } from "../core/checks.js";

/** An n-dimensional array of unsigned bytes as stored in an IDX file; `data` is row-major. */
export interface IdxArray {
  /** Sizes of each dimension, e.g. [60000, 28, 28] for an image file, [60000] for labels. */
  dims: number[];
  /** The values, row-major, length = product of `dims`. */
  data: Uint8Array;
}

/** Images and labels read as a pair and checked against each other. */
export interface IdxImagesAndLabels {
  /** Pixels, row-major [N, rows * cols], values 0..255. */
  pixels: Uint8Array;
  /** Labels [N], each in 0..numClasses-1. */
  labels: Int32Array;
  /** Number of images N. */
  n: number;
  rows: number;
  cols: number;
}

/** Malformed or inconsistent IDX input (an InvalidInputError). `file` names the offending file (or byte source). */
export class IdxFormatError extends InvalidInputError {
  readonly file: string;
  /** `argument`: the parameter that named the file (`path` unless the reader says otherwise). */
  constructor(file: string, problem: string, argument = "path") {
    super(argument, `${file}: ${problem}`);
    this.name = "IdxFormatError";
    this.file = file;
  }
}

/** The IDX element type codes; only unsigned bytes (0x08) are supported here. */
const IDX_TYPE_NAMES: Record<number, string> = {
  0x08: "unsigned byte",
  0x09: "signed byte",
  0x0b: "int16",
  0x0c: "int32",
  0x0d: "float32",
  0x0e: "float64",
};
const IDX_UBYTE = 0x08;
const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;
/** More dimensions than any image data set needs; a larger count means a corrupt header. */
const MAX_IDX_DIMS = 16;

function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, "0")}`;
}

/** True when the bytes start with the gzip magic number 1f 8b. */
export function isGzipped(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC_0 && bytes[1] === GZIP_MAGIC_1;
}

function gunzipNamed(bytes: Uint8Array, sourceName: string): Uint8Array {
  try {
    return gunzipSync(bytes);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new IdxFormatError(sourceName, `corrupt or truncated gzip stream (${reason})`);
  }
}

/**
 * Parses IDX bytes (raw, or gzipped: detected by magic bytes). `sourceName` (usually the file
 * path) is put in every error message. The returned `data` is a view into the decoded bytes.
 */
export function parseIdx(bytes: Uint8Array, sourceName: string): IdxArray {
  const raw = isGzipped(bytes) ? gunzipNamed(bytes, sourceName) : bytes;
  if (raw.length < 4) {
    throw new IdxFormatError(sourceName, `truncated: ${raw.length} bytes, an IDX header needs at least 4`);
  }
  const [zero0, zero1, typeCode, ndims] = [raw[0]!, raw[1]!, raw[2]!, raw[3]!];
  if (zero0 !== 0 || zero1 !== 0) {
    throw new IdxFormatError(
      sourceName,
      `not an IDX file: magic number starts ${hex(zero0)} ${hex(zero1)}, expected 0x00 0x00 (type, ndims)`,
    );
  }
  if (typeCode !== IDX_UBYTE) {
    const known = IDX_TYPE_NAMES[typeCode];
    throw new IdxFormatError(
      sourceName,
      known
        ? `IDX element type ${hex(typeCode)} (${known}) is not supported; only unsigned byte (0x08) is`
        : `bad IDX magic number: unknown element type ${hex(typeCode)} (only unsigned byte 0x08 is supported)`,
    );
  }
  if (ndims < 1 || ndims > MAX_IDX_DIMS) {
    throw new IdxFormatError(sourceName, `bad IDX magic number: ${ndims} dimensions (expected 1..${MAX_IDX_DIMS})`);
  }
  const headerBytes = 4 + 4 * ndims;
  if (raw.length < headerBytes) {
    throw new IdxFormatError(
      sourceName,
      `truncated header: ${raw.length} bytes, but ${ndims} dimensions need a ${headerBytes}-byte header`,
    );
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const size = view.getUint32(4 + 4 * i, false);
    dims.push(size);
    count *= size;
  }
  if (!Number.isSafeInteger(count)) {
    throw new IdxFormatError(sourceName, `dimensions [${dims.join(", ")}] are too large to be real`);
  }
  const dataBytes = raw.length - headerBytes;
  if (dataBytes < count) {
    throw new IdxFormatError(
      sourceName,
      `truncated: dimensions [${dims.join(", ")}] need ${count} data bytes, found only ${dataBytes}`,
    );
  }
  if (dataBytes > count) {
    throw new IdxFormatError(
      sourceName,
      `${dataBytes - count} unexpected trailing bytes after the ${count} data bytes of dimensions [${dims.join(", ")}]`,
    );
  }
  return { dims, data: raw.subarray(headerBytes, headerBytes + count) };
}

/** Reads an IDX file (raw or gzipped). Errors name the file. */
export function readIdx(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new IdxFormatError(path, `cannot read IDX file (${reason})`);
  }
  return parseIdx(bytes, path);
}

export interface WriteIdxOptions {
  /** Gzip the output. Default: true when the path ends in ".gz". */
  gzip?: boolean;
}

/** Encodes an unsigned-byte IDX array (optionally gzipped) as bytes. */
export function encodeIdx(dims: readonly number[], data: Uint8Array, options: { gzip?: boolean } = {}): Uint8Array {
  if (dims.length < 1 || dims.length > MAX_IDX_DIMS) {
    throw new InvalidInputError("dims", `encodeIdx: need 1..${MAX_IDX_DIMS} dimensions, got ${dims.length}`);
  }
  let count = 1;
  for (const size of dims) {
    if (!Number.isInteger(size) || size < 0 || size > 0xffffffff) {
      throw new InvalidInputError("dims", `encodeIdx: dimension sizes must be integers in 0..2^32-1, got [${dims.join(", ")}]`);
    }
    count *= size;
  }
  if (count !== data.length) {
    throw new InvalidInputError("data", `encodeIdx: dimensions [${dims.join(", ")}] hold ${count} values, but data has ${data.length}`);
  }
  const headerBytes = 4 + 4 * dims.length;
  const out = new Uint8Array(headerBytes + data.length);
  const view = new DataView(out.buffer);
  out[2] = IDX_UBYTE;
  out[3] = dims.length;
  dims.forEach((size, i) => view.setUint32(4 + 4 * i, size, false));
  out.set(data, headerBytes);
  return options.gzip ? gzipSync(out) : out;
}

/**
 * Writes an unsigned-byte IDX file, creating parent directories. Writes to a temporary file
 * and renames it, so an interrupted write never leaves a half-written cache file behind.
 */
export function writeIdx(path: string, dims: readonly number[], data: Uint8Array, options: WriteIdxOptions = {}): void {
  const gzip = options.gzip ?? path.endsWith(".gz");
  const bytes = encodeIdx(dims, data, { gzip });
  writeFileAtomically(path, bytes);
}

/**
 * Checks an image array [N, rows, cols] and a label array [N] against each other: equal counts,
 * every label in 0..numClasses-1. Names the files in every error.
 */
export function checkIdxImagesAndLabels(
  images: IdxArray,
  labels: IdxArray,
  numClasses: number,
  imagesName: string,
  labelsName: string,
): IdxImagesAndLabels {
  if (!Number.isInteger(numClasses) || numClasses < 1 || numClasses > 256) {
    throw new InvalidInputError("numClasses", `numClasses must be an integer in 1..256 for byte labels, got ${numClasses}`);
  }
  if (images.dims.length !== 3) {
    throw new IdxFormatError(
      imagesName,
      `expected a 3-dimensional image file [N, rows, cols], got dimensions [${images.dims.join(", ")}]`,
    );
  }
  if (labels.dims.length !== 1) {
    throw new IdxFormatError(
      labelsName,
      `expected a 1-dimensional label file [N], got dimensions [${labels.dims.join(", ")}]`,
    );
  }
  const [n, rows, cols] = images.dims as [number, number, number];
  if (labels.dims[0] !== n) {
    throw new IdxFormatError(
      labelsName,
      `has ${labels.dims[0]} labels but ${imagesName} has ${n} images; the counts must match`,
    );
  }
  const labelBytes = labels.data;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = labelBytes[i]!;
    if (label >= numClasses) {
      throw new IdxFormatError(labelsName, `label ${label} at index ${i} is out of range 0..${numClasses - 1}`);
    }
    out[i] = label;
  }
  return { pixels: images.data, labels: out, n, rows, cols };
}

/** Reads an image file [N, rows, cols] and its label file [N] and checks them against each other. */
export function readIdxImagesAndLabels(imagesPath: string, labelsPath: string, numClasses: number): IdxImagesAndLabels {
  return checkIdxImagesAndLabels(readIdx(imagesPath), readIdx(labelsPath), numClasses, imagesPath, labelsPath);
}
