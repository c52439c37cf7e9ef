/**
 * Runs a list of cases in one sandboxed runner process and collects the values it reports. A case
 * that does not answer within its time limit, or that ends the process (a crash, `process.exit`,
 * a memory or CPU limit), costs that case, and the rest of its exercise is not run; the other
 * exercises' cases go on in a fresh sandbox. Everything here only collects values: the judging is
 * done by the caller.
 */
import { decodeValue, encodeValue } from "./values.js";
import { nodeCommand, packagePaths, startSandboxed, type Sandbox } from "./sandbox.js";

export interface CaseRequest {
  /** Unique key (exercise + case name). */
  key: string;
  /** Cases of one group are skipped together after one of them timed out or ended the process. */
  group: string;
  probe: string;
  input: unknown;
  limitMs: number;
}

export type CaseOutcome =
  | { kind: "value"; value: unknown; ms: number }
  | { kind: "error"; message: string; ms: number }
  | { kind: "timeout"; limitMs: number }
  | { kind: "crash"; message: string }
  | { kind: "skipped"; message: string };

export interface RunSettings {
  sandbox: Sandbox;
  view: string;
  nodeModules: string;
  slot: number;
  memoryMb: number;
  /** Time to load the runner before the first case (not counted against any case). */
  startupMs?: number;
  /** Environment of the runner (the backend). */
  env?: Record<string, string>;
}

const MAX_CHANNEL_BYTES = 64 << 20;
const TAIL = 4000;

function tail(text: string): string {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !/ExperimentalWarning|--trace-warnings|SecurityWarning/.test(l));
  return lines.slice(-6).join(" | ").slice(-600);
}

interface Attempt {
  outcomes: Map<number, CaseOutcome>;
  /** The case running when the process ended or was stopped. */
  current?: number;
  ended: "done" | "timeout" | "exit" | "startup" | "overflow";
  detail: string;
}

function attempt(settings: RunSettings, cases: { id: number; request: CaseRequest }[]): Promise<Attempt> {
  const { sandbox, view } = settings;
  const root = sandbox.kind === "bwrap" ? "/g" : view;
  const readable = sandbox.kind === "node" ? packagePaths(settings.nodeModules) : [];
  const totalMs = cases.reduce((s, c) => s + c.request.limitMs, 0) + (settings.startupMs ?? 30000);
  const box = startSandboxed(sandbox, {
    view,
    nodeModules: settings.nodeModules,
    command: [...nodeCommand(sandbox, view, readable), "@G/scripts/assignment/runner.js"],
    env: { CLASSIFIERS_BACKEND: "cpu", CLASSIFIERS_LIVE: "0", ...settings.env },
    slot: settings.slot,
    memoryMb: settings.memoryMb,
    cpuSeconds: Math.ceil(totalMs / 1000) + 5,
    tmpMb: 64,
    extraFds: 1,
  });
  const child = box.child;
  const outcomes = new Map<number, CaseOutcome>();
  const pending = new Set(cases.map((c) => c.id));
  const byId = new Map(cases.map((c) => [c.id, c.request]));
  let current: number | undefined;
  let started = 0;
  let ready = false;
  let stderr = "";
  let stdout = "";
  let buffered = "";
  let received = 0;
  let timer: NodeJS.Timeout | undefined;
  let ended: Attempt["ended"] | undefined;
  let detail = "";

  return new Promise((resolve) => {
    const stop = (why: Attempt["ended"], text = ""): void => {
      if (ended === undefined) {
        ended = why;
        detail = text;
      }
      box.kill();
    };
    const arm = (ms: number, why: Attempt["ended"]): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => stop(why), ms);
    };
    arm(settings.startupMs ?? 30000, "startup");
    const handle = (line: string): void => {
      let frame: Record<string, unknown>;
      try {
        frame = decodeValue(line) as Record<string, unknown>;
      } catch {
        return; // not a frame (at worst the student's own writes)
      }
      if (frame === null || typeof frame !== "object") return;
      if (frame.ready === 1) ready = true;
      if (typeof frame.start === "number" && pending.has(frame.start)) {
        current = frame.start;
        started = Date.now();
        arm(byId.get(frame.start)!.limitMs, "timeout");
      }
      if (typeof frame.id === "number" && pending.has(frame.id)) {
        const ms = Date.now() - started;
        pending.delete(frame.id);
        outcomes.set(frame.id, "error" in frame ? { kind: "error", message: String(frame.error), ms } : { kind: "value", value: frame.value, ms });
        if (frame.id === current) current = undefined;
        if (pending.size === 0) stop("done");
      }
      if (frame.done === 1 && pending.size > 0 && current === undefined) stop("exit", "the runner finished without answering every case");
    };
    const channel = child.stdio[3] as NodeJS.ReadableStream;
    channel.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received > MAX_CHANNEL_BYTES) {
        stop("overflow");
        return;
      }
      buffered += chunk.toString("utf8");
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        handle(line);
      }
    });
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout = (stdout + chunk.toString("utf8")).slice(-TAIL);
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-TAIL);
    });
    child.stdin!.on("error", () => {});
    child.stdin!.end(encodeValue({ libRoot: `${root}/lib/dist`, probesDir: `${root}/assignment/probes`, cases: cases.map((c) => ({ id: c.id, probe: c.request.probe, input: c.request.input })) }));
    const overall = setTimeout(() => stop("timeout"), totalMs + 5000);
    child.on("error", (err) => {
      // The sandbox's command could not start (a missing prlimit, setpriv or bwrap): 'close' follows.
      stderr += `\n${err.message}`;
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      clearTimeout(overall);
      box.kill();
      if (ended === undefined) {
        ended = ready ? "exit" : "startup";
      }
      if (ended === "exit" || ended === "startup") {
        const how = signal ? `signal ${signal}${signal === "SIGXCPU" || signal === "SIGKILL" ? " (a CPU or memory limit?)" : ""}` : `exit code ${code}`;
        detail = `${detail ? `${detail}; ` : ""}the process ended (${how})${stderr.trim() ? `: ${tail(stderr)}` : stdout.trim() ? `; it printed: ${tail(stdout)}` : ""}`;
      }
      resolve({ outcomes, ...(current === undefined ? {} : { current }), ended: ended!, detail });
    });
  });
}

/** Runs every request, restarting the sandbox after a case that timed out or ended the process. */
export async function runCases(settings: RunSettings, requests: CaseRequest[]): Promise<Map<string, CaseOutcome>> {
  const result = new Map<string, CaseOutcome>();
  let remaining = requests.map((request, id) => ({ id, request }));
  const maxAttempts = new Set(requests.map((r) => r.group)).size + 2;
  for (let round = 0; remaining.length > 0; round++) {
    const run = await attempt(settings, remaining);
    for (const [id, outcome] of run.outcomes) result.set(requests[id]!.key, outcome);
    remaining = remaining.filter((c) => !run.outcomes.has(c.id));
    if (remaining.length === 0) break;
    if (run.ended === "startup" || run.ended === "overflow" || round + 1 >= maxAttempts || run.current === undefined) {
      const message = run.ended === "startup" ? `the grading process did not start: ${run.detail}`
        : run.ended === "overflow" ? "the code wrote more than 64 MB to the grader's channel"
          : run.current === undefined ? `no answer: ${run.detail}` : `not run: ${run.detail}`;
      for (const c of remaining) result.set(c.request.key, c.id === run.current && run.ended === "timeout" ? { kind: "timeout", limitMs: c.request.limitMs } : { kind: "crash", message });
      break;
    }
    const culprit = requests[run.current]!;
    result.set(culprit.key, run.ended === "timeout" ? { kind: "timeout", limitMs: culprit.limitMs } : { kind: "crash", message: run.detail });
    for (const c of remaining) {
      if (c.id !== run.current && c.request.group === culprit.group) {
        result.set(c.request.key, { kind: "skipped", message: `not run: an earlier test of this exercise ${run.ended === "timeout" ? "was stopped at its time limit" : "ended the process"}` });
      }
    }
    remaining = remaining.filter((c) => !result.has(c.request.key));
  }
  return result;
}
