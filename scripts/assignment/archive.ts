/**
 * Reading a student's copy (a folder, a .tar.gz/.tgz or a .zip) without trusting it. Archives are
 * parsed here, entry by entry, and never extracted: nothing of a copy is written to disk. A copy is
 * rejected, with the reason, when any entry is a symbolic link, a hard link, a device or a FIFO,
 * has an absolute path or a `..` component, or when the archive or what it unpacks to is over the
 * size limits. node_modules/ and .git/ are skipped without being read.
 *
 * What comes back is the project's files that grading reads (lib/src, tests, notebooks), by their
 * path in the project: the folder holding lib/src, at the top or one or two levels down.
 */
import { closeSync, createReadStream, lstatSync, openSync, readFileSync, readSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { createGunzip, inflateRawSync } from "node:zlib";

export interface SubmissionLimits {
  /** The archive file itself. */
  archiveMb: number;
  /** Everything it unpacks to (or a folder's files), skipped folders aside. */
  unpackedMb: number;
  /** Entries in the archive. */
  entries: number;
}

export const DEFAULT_LIMITS: SubmissionLimits = { archiveMb: 50, unpackedMb: 300, entries: 50000 };

export class SubmissionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SubmissionError";
  }
}

/** Project folders grading reads; everything else is only checked. */
const KEPT = ["lib/src/", "tests/", "notebooks/"];
/** Folders skipped without being checked or read (anywhere in the path). */
const SKIPPED = new Set(["node_modules", ".git", "__MACOSX"]);

/** A safe relative path, or a SubmissionError saying why not. */
export function safePath(raw: string): string {
  if (raw.includes("\0")) throw new SubmissionError(`an entry's name contains a NUL byte`);
  const name = raw.replace(/\\/g, "/");
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) throw new SubmissionError(`"${raw}" has an absolute path`);
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw new SubmissionError(`"${raw}" has a ".." component (it would land outside the copy)`);
  return parts.join("/");
}

const skipped = (path: string): boolean => path.split("/").some((p) => SKIPPED.has(p));

interface Collector {
  add(path: string, data: Buffer): void;
  count(bytes: number): void;
  files: Map<string, Buffer>;
}

function collector(limits: SubmissionLimits): Collector {
  const files = new Map<string, Buffer>();
  let total = 0;
  let entries = 0;
  return {
    files,
    count(bytes) {
      total += bytes;
      if (total > limits.unpackedMb * 1024 * 1024) throw new SubmissionError(`it unpacks to more than ${limits.unpackedMb} MB`);
      if (++entries > limits.entries) throw new SubmissionError(`it has more than ${limits.entries} entries`);
    },
    add(path, data) {
      files.set(path, data);
    },
  };
}

/** The copy's files, relative to its project folder, keeping only what grading reads. */
function project(all: Map<string, Buffer>): Map<string, Buffer> {
  const roots = new Set<string>();
  for (const path of all.keys()) {
    const at = path.indexOf("lib/src/");
    if (at === 0 || (at > 0 && path[at - 1] === "/")) {
      const prefix = path.slice(0, at);
      if (prefix.split("/").length - 1 <= 2) roots.add(prefix);
    }
  }
  if (roots.size === 0) throw new SubmissionError("no lib/src folder in this copy");
  const root = [...roots].sort((a, b) => a.split("/").length - b.split("/").length || a.localeCompare(b))[0]!;
  const out = new Map<string, Buffer>();
  for (const [path, data] of all) {
    if (!path.startsWith(root)) continue;
    const rel = path.slice(root.length);
    if (KEPT.some((k) => rel.startsWith(k))) out.set(rel, data);
  }
  return out;
}

function keep(path: string): boolean {
  return KEPT.some((k) => path.includes(k));
}

// -------------------------------------------------------------------------------------------------
// Folders

function readFolder(dir: string, limits: SubmissionLimits): Map<string, Buffer> {
  const c = collector(limits);
  const walk = (d: string, rel: string): void => {
    for (const entry of readdirSync(d).sort()) {
      const full = join(d, entry);
      const path = rel ? `${rel}/${entry}` : entry;
      if (SKIPPED.has(entry) || (rel === "" && ["build", "release", ".jupyter", ".venv"].includes(entry)) || path === "lib/dist") continue;
      const st = lstatSync(full);
      if (st.isSymbolicLink()) throw new SubmissionError(`"${path}" is a symbolic link`);
      if (st.isDirectory()) walk(full, path);
      else if (st.isFile()) {
        c.count(st.size);
        if (keep(path)) c.add(path, readFileSync(full));
      } else throw new SubmissionError(`"${path}" is a device, socket or FIFO, not a file`);
    }
  };
  walk(dir, "");
  return project(c.files);
}

// -------------------------------------------------------------------------------------------------
// tar (inside gzip), parsed as it streams

function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? raw.length : end).toString("utf8");
}

function octal(block: Buffer, start: number, length: number): number {
  if (block[start]! & 0x80) throw new SubmissionError("an entry's size uses the base-256 encoding (over 8 GB)");
  const text = field(block, start, length).trim();
  return text === "" ? 0 : parseInt(text, 8);
}

function paxPath(data: Buffer): string | undefined {
  let rest = data.toString("utf8");
  let path: string | undefined;
  while (rest.length > 0) {
    const space = rest.indexOf(" ");
    const length = Number(rest.slice(0, space));
    if (!(length > 0)) break;
    const record = rest.slice(space + 1, length - 1);
    const eq = record.indexOf("=");
    if (record.slice(0, eq) === "path") path = record.slice(eq + 1);
    if (record.slice(0, eq) === "linkpath") throw new SubmissionError("an entry is a link (pax linkpath)");
    rest = rest.slice(length);
  }
  return path;
}

async function readTarGz(path: string, limits: SubmissionLimits): Promise<Map<string, Buffer>> {
  const c = collector(limits);
  const gunzip = createGunzip();
  const input = createReadStream(path);
  let buffer: Buffer = Buffer.alloc(0);
  let unpacked = 0;
  // Parser state: waiting for a header, or reading an entry's data (kept or not).
  let state: { kind: "header" } | { kind: "data"; name: string; size: number; pad: number; keep: boolean; meta?: "pax" | "longname"; chunks: Buffer[] } = { kind: "header" };
  let longName: string | undefined;
  let paxName: string | undefined;
  let ended = false;

  const header = (block: Buffer): void => {
    if (block.every((b) => b === 0)) {
      ended = true;
      return;
    }
    const type = String.fromCharCode(block[156]!) || "0";
    const magic = field(block, 257, 6);
    const prefix = magic.startsWith("ustar") ? field(block, 345, 155) : "";
    let name = longName ?? paxName ?? (prefix ? `${prefix}/${field(block, 0, 100)}` : field(block, 0, 100));
    longName = undefined;
    paxName = undefined;
    const size = octal(block, 124, 12);
    const pad = (512 - (size % 512)) % 512;
    if (type === "L") {
      state = { kind: "data", name: "", size, pad, keep: true, meta: "longname", chunks: [] };
      return;
    }
    if (type === "x") {
      state = { kind: "data", name: "", size, pad, keep: true, meta: "pax", chunks: [] };
      return;
    }
    if (type === "g") {
      state = { kind: "data", name: "", size, pad, keep: false, chunks: [] };
      return;
    }
    name = safePath(name);
    const isSkipped = skipped(name);
    if (!isSkipped) {
      if (type === "1") throw new SubmissionError(`"${name}" is a hard link`);
      if (type === "2" || type === "K") throw new SubmissionError(`"${name}" is a symbolic link`);
      if (type === "3" || type === "4") throw new SubmissionError(`"${name}" is a device`);
      if (type === "6") throw new SubmissionError(`"${name}" is a FIFO`);
      if (!["0", "7", "5", "\0"].includes(type)) throw new SubmissionError(`"${name}" has an unsupported tar entry type "${type}"`);
    }
    c.count(size);
    state = { kind: "data", name, size, pad, keep: !isSkipped && (type === "0" || type === "7" || type === "\0") && keep(name), chunks: [] };
  };

  const consume = (): void => {
    for (;;) {
      if (ended) return;
      if (state.kind === "header") {
        if (buffer.length < 512) return;
        header(buffer.subarray(0, 512));
        buffer = buffer.subarray(512);
        continue;
      }
      const s = state;
      const take = Math.min(s.size, buffer.length);
      if (s.keep && take > 0) s.chunks.push(Buffer.from(buffer.subarray(0, take)));
      s.size -= take;
      buffer = buffer.subarray(take);
      if (s.size > 0) return;
      if (buffer.length < s.pad) return;
      buffer = buffer.subarray(s.pad);
      const data = Buffer.concat(s.chunks);
      if (s.meta === "longname") longName = data.toString("utf8").replace(/\0.*$/s, "");
      else if (s.meta === "pax") paxName = paxPath(data);
      else if (s.keep) c.add(s.name, data);
      state = { kind: "header" };
    }
  };

  await new Promise<void>((done, failed) => {
    const fail = (err: Error): void => {
      input.destroy();
      gunzip.destroy();
      failed(err instanceof SubmissionError ? err : new SubmissionError(`not a readable .tar.gz: ${err.message}`));
    };
    gunzip.on("data", (chunk: Buffer) => {
      unpacked += chunk.length;
      try {
        if (unpacked > limits.unpackedMb * 1024 * 1024 + (1 << 20)) throw new SubmissionError(`it unpacks to more than ${limits.unpackedMb} MB`);
        buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
        consume();
        if (ended) {
          input.destroy();
          gunzip.destroy();
          done();
        }
      } catch (err) {
        fail(err as Error);
      }
    });
    gunzip.on("end", () => (state.kind === "header" ? done() : fail(new SubmissionError("the archive ends in the middle of an entry"))));
    gunzip.on("error", fail);
    input.on("error", fail);
    input.pipe(gunzip);
  });
  return project(c.files);
}

// -------------------------------------------------------------------------------------------------
// zip: the central directory, then each entry's local header and data

function readZip(path: string, limits: SubmissionLimits): Map<string, Buffer> {
  const zip = readFileSync(path);
  const c = collector(limits);
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65535); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new SubmissionError("not a readable .zip (no end of central directory)");
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  if (count === 0xffff || offset === 0xffffffff) throw new SubmissionError("zip64 archives are not supported; zip fewer or smaller files");
  for (let n = 0; n < count; n++) {
    if (offset + 46 > zip.length || zip.readUInt32LE(offset) !== 0x02014b50) throw new SubmissionError("not a readable .zip (a damaged central directory)");
    const madeBy = zip.readUInt16LE(offset + 4) >> 8;
    const flags = zip.readUInt16LE(offset + 8);
    const method = zip.readUInt16LE(offset + 10);
    const compressed = zip.readUInt32LE(offset + 20);
    const size = zip.readUInt32LE(offset + 24);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const external = zip.readUInt32LE(offset + 38);
    const local = zip.readUInt32LE(offset + 42);
    const rawName = zip.subarray(offset + 46, offset + 46 + nameLength).toString("utf8");
    offset += 46 + nameLength + extraLength + commentLength;
    const name = safePath(rawName);
    if (skipped(name)) {
      c.count(size);
      continue;
    }
    const mode = madeBy === 3 ? external >>> 16 : 0;
    const kind = mode & 0o170000;
    if (kind === 0o120000) throw new SubmissionError(`"${name}" is a symbolic link`);
    if (kind === 0o020000 || kind === 0o060000) throw new SubmissionError(`"${name}" is a device`);
    if (kind === 0o010000) throw new SubmissionError(`"${name}" is a FIFO`);
    if (compressed === 0xffffffff || size === 0xffffffff) throw new SubmissionError("zip64 archives are not supported");
    c.count(size);
    if (rawName.endsWith("/")) continue;
    if (flags & 1) throw new SubmissionError(`"${name}" is encrypted`);
    if (!keep(name)) continue;
    if (local + 30 > zip.length || zip.readUInt32LE(local) !== 0x04034b50) throw new SubmissionError(`"${name}": a damaged local header`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const stored = zip.subarray(start, start + compressed);
    let data: Buffer;
    if (method === 0) data = Buffer.from(stored);
    else if (method === 8) {
      try {
        data = inflateRawSync(stored, { maxOutputLength: Math.max(1, size) });
      } catch (err) {
        throw new SubmissionError(`"${name}" does not inflate to its declared ${size} bytes (${(err as Error).message})`);
      }
    } else throw new SubmissionError(`"${name}" uses compression method ${method}; only stored and deflated entries are supported`);
    if (data.length !== size) throw new SubmissionError(`"${name}" inflates to ${data.length} bytes, not the declared ${size}`);
    c.add(name, data);
  }
  return project(c.files);
}

/** The files grading reads from a copy, or a SubmissionError with the reason it is refused. */
export async function readSubmission(source: string, limits: SubmissionLimits = DEFAULT_LIMITS): Promise<Map<string, Buffer>> {
  const path = resolve(source);
  const st = lstatSync(path);
  if (st.isDirectory()) return readFolder(path, limits);
  if (!st.isFile()) throw new SubmissionError(`${source} is not a folder or a regular file`);
  if (st.size > limits.archiveMb * 1024 * 1024) throw new SubmissionError(`the archive is ${(st.size / 1048576).toFixed(1)} MB, over the limit of ${limits.archiveMb} MB`);
  if (/\.(tar\.gz|tgz)$/i.test(path)) return readTarGz(path, limits);
  if (/\.zip$/i.test(path)) {
    // A quick look at the signature, so a misnamed file gets a clear message.
    const fd = openSync(path, "r");
    const head = Buffer.alloc(4);
    readSync(fd, head, 0, 4, 0);
    closeSync(fd);
    if (head.readUInt32LE(0) !== 0x04034b50 && head.readUInt32LE(0) !== 0x06054b50) throw new SubmissionError("not a readable .zip");
    return readZip(path, limits);
  }
  throw new SubmissionError(`${source}: give a folder, a .tar.gz/.tgz or a .zip`);
}
