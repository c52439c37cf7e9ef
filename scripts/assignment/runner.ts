/**
 * The process that runs student code (inside the sandbox; bundled to runner.js by the grader).
 * It reads its cases from stdin, loads the probes, then for each case writes a `start` frame and,
 * when the probe returns, the values it returned (or the error it threw) as one JSON line on file
 * descriptor 3. It judges nothing: the grader, outside, decides whether the values are right, so
 * student code that patches this process or writes frames of its own can only report wrong values.
 *
 *   stdin:  { "libRoot": "/g/lib/dist", "probesDir": "/g/probes", "cases": [{ "id": 0, "probe": "...", "input": ... }] }
 *   fd 3:   {"ready":1} then, per case, {"start":0} and {"id":0,"value":...} or {"id":0,"error":"..."}; {"done":1} at the end
 */
import { readFileSync, readdirSync, writeSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { decodeValue, encodeValue } from "./values.js";

interface Request {
  libRoot: string;
  probesDir: string;
  cases: { id: number; probe: string; input: unknown }[];
}

type Probe = (input: unknown, ctx: unknown) => unknown;

const CHANNEL = 3;
const write = writeSync;
const stringify = JSON.stringify;

function send(text: string): void {
  write(CHANNEL, `${text}\n`);
}

function errorMessage(err: unknown): string {
  const message = err instanceof Error ? `${err.name && err.name !== "Error" ? `${err.name}: ` : ""}${err.message}` : `threw ${typeof err === "string" ? err : encodeValue(err)}`;
  return message.split("\n").map((l) => l.trim()).filter((l) => l !== "").slice(0, 4).join(" ").slice(0, 600);
}

const request = decodeValue(readFileSync(0, "utf8")) as Request;

// Library code that is never the student's (the release's runtime files) loads first.
const tf = await import("@tensorflow/tfjs-core");
const { initBackend } = (await import(pathToFileURL(join(request.libRoot, "runtime/backend.js")).href)) as { initBackend(o: { log: boolean }): Promise<unknown> };
await initBackend({ log: false });
const engine = tf.engine();
const numTensors = (): number => engine.state.numTensors;

const probes = new Map<string, Probe>();
for (const file of readdirSync(request.probesDir).filter((f) => f.endsWith(".js")).sort()) {
  const module = (await import(pathToFileURL(join(request.probesDir, file)).href)) as { probes?: Record<string, Probe> };
  for (const [name, probe] of Object.entries(module.probes ?? {})) probes.set(name, probe);
}
const ctx = {
  tf,
  load: (path: string) => import(pathToFileURL(join(request.libRoot, `${path}.js`)).href),
  numTensors,
};
send('{"ready":1}');
for (const c of request.cases) {
  send(`{"start":${Number(c.id)}}`);
  let frame: string;
  try {
    const probe = probes.get(c.probe);
    if (!probe) throw new Error(`no probe named "${c.probe}" (assignment/probes/*.ts)`);
    const value = await probe(c.input, ctx);
    frame = `{"id":${Number(c.id)},"value":${encodeValue(value)}}`;
  } catch (err) {
    let message: string;
    try {
      message = errorMessage(err);
    } catch {
      message = "threw something that cannot be described";
    }
    frame = `{"id":${Number(c.id)},"error":${stringify(message)}}`;
  }
  send(frame);
}
send('{"done":1}');
process.exit(0);
