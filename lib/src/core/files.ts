/**
 * Writing files so that a crash or a kill never leaves half a file behind: the bytes go to a
 * temporary file beside the target, which is then renamed over it (atomic on one file system).
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** Writes `data` to `path` (creating its folder), atomically. */
export function writeFileAtomically(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, data);
  renameSync(temporary, path);
}
