import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import {
  encodeIdx,
  IdxFormatError,
  isGzipped,
  parseIdx,
  readIdx,
  readIdxImagesAndLabels,
  writeIdx,
} from "../lib/src/data/idx.js";

let dir = "";
before(() => {
  dir = mkdtempSync(join(tmpdir(), "idx-test-"));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** 3 images of 2x2 with pixel values 0..11, labels [2, 0, 1]. */
const pixels = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
const labels = Uint8Array.from([2, 0, 1]);

/** Asserts `fn` throws an IdxFormatError naming `file` and matching `pattern`. */
function assertIdxError(fn: () => unknown, file: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof IdxFormatError, `expected IdxFormatError, got ${String(err)}`);
    assert.equal(err.file, file);
    assert.ok(err.message.includes(file), `message should name ${file}: ${err.message}`);
    assert.match(err.message, pattern);
    return true;
  });
}

test("encodeIdx writes the documented header: 00 00 08 ndims, big-endian sizes", () => {
  const bytes = encodeIdx([3, 2, 2], pixels);
  assert.deepEqual([...bytes.subarray(0, 16)], [0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2]);
  assert.equal(bytes.length, 16 + 12);
  assert.deepEqual([...bytes.subarray(16)], [...pixels]);
  assert.equal(isGzipped(bytes), false);
  assert.equal(isGzipped(encodeIdx([3], labels, { gzip: true })), true);
});

test("IDX round trip, raw and gzipped", () => {
  for (const gzip of [false, true]) {
    const path = join(dir, gzip ? "images.gz" : "images");
    writeIdx(path, [3, 2, 2], pixels);
    const onDisk = readFileSync(path);
    assert.equal(isGzipped(onDisk), gzip, "gzip defaults from the .gz extension");
    const back = readIdx(path);
    assert.deepEqual(back.dims, [3, 2, 2]);
    assert.deepEqual([...back.data], [...pixels]);
  }
  // Gzip is detected by magic bytes, not by name.
  const misnamed = join(dir, "gzipped-without-extension");
  writeIdx(misnamed, [3], labels, { gzip: true });
  assert.deepEqual([...readIdx(misnamed).data], [2, 0, 1]);
});

test("readIdxImagesAndLabels pairs images and labels", () => {
  writeIdx(join(dir, "pair-images.gz"), [3, 2, 2], pixels);
  writeIdx(join(dir, "pair-labels"), [3], labels);
  const pair = readIdxImagesAndLabels(join(dir, "pair-images.gz"), join(dir, "pair-labels"), 3);
  assert.equal(pair.n, 3);
  assert.equal(pair.rows, 2);
  assert.equal(pair.cols, 2);
  assert.deepEqual([...pair.labels], [2, 0, 1]);
  assert.ok(pair.labels instanceof Int32Array);
  assert.deepEqual([...pair.pixels.subarray(4, 8)], [80, 100, 120, 140]);
});

test("bad magic number is rejected with the file name", () => {
  const bytes = encodeIdx([3], labels);
  bytes[0] = 0x12;
  assertIdxError(() => parseIdx(bytes, "bad-magic.idx"), "bad-magic.idx", /not an IDX file/);
  const zeroDims = encodeIdx([3], labels);
  zeroDims[3] = 0;
  assertIdxError(() => parseIdx(zeroDims, "zero-dims.idx"), "zero-dims.idx", /0 dimensions/);
});

test("element types other than unsigned byte are rejected clearly", () => {
  const bytes = encodeIdx([3], labels);
  bytes[2] = 0x0d;
  assertIdxError(() => parseIdx(bytes, "floats.idx"), "floats.idx", /0x0d \(float32\) is not supported/);
  bytes[2] = 0x42;
  assertIdxError(() => parseIdx(bytes, "weird.idx"), "weird.idx", /unknown element type 0x42/);
});

test("truncated input is rejected: short header, short data, empty file", () => {
  const bytes = encodeIdx([3, 2, 2], pixels);
  assertIdxError(() => parseIdx(bytes.subarray(0, bytes.length - 1), "short.idx"), "short.idx", /truncated: .*need 12 data bytes, found only 11/);
  assertIdxError(() => parseIdx(bytes.subarray(0, 10), "short-header.idx"), "short-header.idx", /truncated header/);
  assertIdxError(() => parseIdx(new Uint8Array(0), "empty.idx"), "empty.idx", /truncated/);
  // Same through the file reader, and through gzip.
  const path = join(dir, "truncated.gz");
  writeFileSync(path, gzipSync(bytes.subarray(0, 20)));
  assertIdxError(() => readIdx(path), path, /truncated/);
});

test("trailing extra bytes are an error, not silently dropped", () => {
  const bytes = encodeIdx([3], labels);
  const longer = new Uint8Array(bytes.length + 2);
  longer.set(bytes);
  assertIdxError(() => parseIdx(longer, "long.idx"), "long.idx", /2 unexpected trailing bytes/);
});

test("a corrupt or cut-off gzip stream names the file", () => {
  const gz = encodeIdx([3, 2, 2], pixels, { gzip: true });
  const path = join(dir, "corrupt.gz");
  const corrupt = Uint8Array.from(gz);
  corrupt[12] = corrupt[12]! ^ 0xff;
  corrupt[13] = corrupt[13]! ^ 0xff;
  writeFileSync(path, corrupt);
  assertIdxError(() => readIdx(path), path, /corrupt or truncated gzip stream/);
  const cut = join(dir, "cut.gz");
  writeFileSync(cut, gz.subarray(0, gz.length - 6));
  assertIdxError(() => readIdx(cut), cut, /corrupt or truncated gzip stream/);
});

test("a missing file names the file", () => {
  const path = join(dir, "no-such-file.gz");
  assertIdxError(() => readIdx(path), path, /cannot read IDX file/);
});

test("label count must match image count", () => {
  const images = join(dir, "count-images");
  const labelsPath = join(dir, "count-labels");
  writeIdx(images, [3, 2, 2], pixels);
  writeIdx(labelsPath, [2], labels.subarray(0, 2));
  assertIdxError(() => readIdxImagesAndLabels(images, labelsPath, 3), labelsPath, /has 2 labels but .*count-images has 3 images/);
});

test("labels out of range are rejected with index and file", () => {
  const images = join(dir, "range-images");
  const labelsPath = join(dir, "range-labels");
  writeIdx(images, [3, 2, 2], pixels);
  writeIdx(labelsPath, [3], Uint8Array.from([1, 0, 7]));
  assertIdxError(() => readIdxImagesAndLabels(images, labelsPath, 3), labelsPath, /label 7 at index 2 is out of range 0..2/);
  assert.equal(readIdxImagesAndLabels(images, labelsPath, 8).labels[2], 7);
});

test("image and label files must have the right number of dimensions", () => {
  const flat = join(dir, "flat-images");
  const labelsPath = join(dir, "ok-labels");
  writeIdx(flat, [12], pixels);
  writeIdx(labelsPath, [3], labels);
  assertIdxError(() => readIdxImagesAndLabels(flat, labelsPath, 3), flat, /3-dimensional image file/);
});

test("encodeIdx rejects data that does not fill the dimensions", () => {
  assert.throws(() => encodeIdx([2, 2], pixels), /hold 4 values, but data has 12/);
});
