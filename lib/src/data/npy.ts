/**
 * NumPy's `.npy` files: one array per file, readable by `numpy.load` and written by `numpy.save`, so
 * weights trained here open in Python (and back). Format (NEP 1, version 1.0): the magic
 * `\x93NUMPY`, version bytes 1 0, a little-endian uint16 header length, an ASCII Python dict
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (784, 100), }` padded with spaces to a multiple
 * of 64 bytes and ended by a newline, then the values in C (row-major) order.
 * We write float32 ('<f4'); we read float32, float64 and int32/int64/uint8, little-endian, C order.
 */
import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomically } from "../core/files.js";
import { InvalidInputError } from "../core/checks.js";

/** An n-dimensional array read from a `.npy` file; `data` is row-major. */
export interface NpyArray {
  shape: number[];
  /** The values as float32 (float64 and integer files are converted). */
  data: Float32Array;
  /** The file's own dtype, e.g. "<f4" or "<f8". */
  dtype: string;
}

/** A malformed `.npy` file or one we cannot read (an InvalidInputError); `file` names it. */
export class NpyFormatError extends InvalidInputError {
  readonly file: string;
  /** `argument`: the parameter that named the file (`path` unless the reader says otherwise). */
  constructor(file: string, problem: string, argument = "path") {
    super(argument, `${file}: ${problem}`);
    this.name = "NpyFormatError";
    this.file = file;
  }
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

/** The bytes of a float32 `.npy` file holding `data` with `shape` (row-major). */
export function encodeNpy(data: ArrayLike<number>, shape: readonly number[]): Buffer {
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 0) throw new InvalidInputError("shape", `encodeNpy: shape [${shape.join(", ")}] must hold non-negative integers.`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new InvalidInputError("data", `encodeNpy: shape [${shape.join(", ")}] holds ${size} values, got ${data.length}.`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = MAGIC.length + 2 + 2 + header.length + 1;
  header += " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  const values = data instanceof Float32Array ? data : Float32Array.from(data);
  const out = Buffer.alloc(MAGIC.length + 4 + header.length + values.byteLength);
  MAGIC.copy(out, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, "latin1");
  const body = new Float32Array(out.buffer, out.byteOffset + 10 + header.length, values.length);
  body.set(values); // (10 + header length is a multiple of 64, so the view is aligned)
  return out;
}

/** Parses the bytes of a `.npy` file; `file` names it in errors. */
export function decodeNpy(bytes: Uint8Array, file = "<bytes>"): NpyArray {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) throw new NpyFormatError(file, "not a .npy file (it does not start with \\x93NUMPY)");
  const major = buf[6]!;
  let headerLength: number;
  let offset: number;
  if (major === 1) {
    headerLength = buf.readUInt16LE(8);
    offset = 10;
  } else if (major === 2 || major === 3) {
    headerLength = buf.readUInt32LE(8);
    offset = 12;
  } else {
    throw new NpyFormatError(file, `unknown .npy format version ${major}.${buf[7]}`);
  }
  if (offset + headerLength > buf.length) throw new NpyFormatError(file, "truncated header");
  const header = buf.toString("latin1", offset, offset + headerLength);
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new NpyFormatError(file, `unreadable header ${JSON.stringify(header.trim())}`);
  if (fortran === "True") throw new NpyFormatError(file, "Fortran-order arrays are not supported (save with numpy.ascontiguousarray)");
  const shape = shapeText.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
  if (shape.some((s) => !Number.isInteger(s) || s < 0)) throw new NpyFormatError(file, `bad shape (${shapeText})`);
  const size = shape.reduce((a, b) => a * b, 1);
  const readers: Record<string, [number, (b: Buffer, i: number) => number]> = {
    "<f4": [4, (b, i) => b.readFloatLE(i)],
    "<f8": [8, (b, i) => b.readDoubleLE(i)],
    "<i4": [4, (b, i) => b.readInt32LE(i)],
    "<i8": [8, (b, i) => Number(b.readBigInt64LE(i))],
    "|u1": [1, (b, i) => b[i]!],
  };
  const reader = readers[descr];
  if (!reader) throw new NpyFormatError(file, `dtype '${descr}' is not supported (use float32 '<f4' or float64 '<f8', little-endian)`);
  const [width, read] = reader;
  const start = offset + headerLength;
  if (buf.length - start !== size * width) {
    throw new NpyFormatError(file, `shape (${shape.join(", ")}) of '${descr}' needs ${size * width} bytes of data, the file has ${buf.length - start}`);
  }
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const value = read(buf, start + i * width);
    data[i] = value;
    // float64 files can hold values float32 cannot: refuse them rather than turn them into
    // Infinity or 0 without a word (NaN and ±Infinity stored as such pass through unchanged).
    if (descr === "<f8" && Number.isFinite(value) && (!Number.isFinite(data[i]!) || (value !== 0 && data[i] === 0))) {
      const why = Number.isFinite(data[i]!) ? "is too close to 0 for float32 and would become 0" : "is too large for float32 (at most ±3.4e38)";
      throw new NpyFormatError(file, `value ${value} at index ${i} ${why}; the library computes in float32`);
    }
  }
  return { shape, data, dtype: descr };
}

/** Writes a float32 `.npy` file (atomically: a temporary file renamed into place). */
export function writeNpy(path: string, data: ArrayLike<number>, shape: readonly number[]): void {
  writeFileAtomically(path, encodeNpy(data, shape));
}

/** Reads a `.npy` file (see `decodeNpy` for the dtypes). */
export function readNpy(path: string): NpyArray {
  if (!existsSync(path)) throw new NpyFormatError(path, "no such file");
  return decodeNpy(readFileSync(path), path);
}
