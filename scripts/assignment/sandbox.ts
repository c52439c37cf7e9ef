/**
 * Where student code runs. Three kinds, strongest first:
 *
 *   bwrap  bubblewrap (Debian's `bubblewrap`): new user, PID, network, IPC and UTS namespaces; a
 *          file system of /usr (read-only), the grading folder (read-only, at /g), the project's
 *          node_modules (read-only) and a small private /tmp; no network at all; an unprivileged
 *          uid of its own when the grader runs as root; memory, CPU, file-size, open-file and
 *          process limits (prlimit); every process in it dies with it. Node's permission model
 *          runs inside as a second layer (no child processes, no writes outside /tmp).
 *   node   Node's permission model alone (`--experimental-permission`): reads only the grading
 *          folder and the packages, writes only a private temporary folder, starts no process;
 *          but it shares the network and the machine with the grader. A fallback, said loudly.
 *   none   no sandbox at all: only with `--unsafe`.
 *
 * A sandboxed process gets its own process group (or PID namespace) and `kill` ends it with every
 * descendant, detached ones included.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, realpathSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";

export type SandboxKind = "bwrap" | "node" | "none";

export interface Sandbox {
  kind: SandboxKind;
  /** One line for people: what is in force. */
  summary: string;
  /** For bwrap as root: the first uid of the unprivileged ids the sandboxes run as (one per job). */
  baseUid?: number;
  /** Why a stronger sandbox was not used (printed loudly). */
  warnings: string[];
}

export interface Launch {
  /** Host folder laid out as the sandbox's /g (read-only). */
  view: string;
  /** The project's node_modules (read-only at /g/node_modules). */
  nodeModules: string;
  /** The command, with `@G` standing for the grading folder's path as the sandboxed process sees it. */
  command: string[];
  env?: Record<string, string>;
  /** Concurrent sandboxes get different slots (their own uid under bwrap as root). */
  slot: number;
  memoryMb: number;
  cpuSeconds: number;
  tmpMb: number;
  /** The notebook kernel needs processes (Python starts the kernel); exercises never do. */
  allowProcesses?: boolean;
  /** Extra file descriptors for the child beyond stdin/stdout/stderr (as spawn's stdio entries). */
  extraFds?: number;
}

const UID_BASE = 61000;
const NODE_FLAGS_EXERCISE = ["--experimental-permission", "--no-warnings=ExperimentalWarning"];

function works(command: string, args: string[]): boolean {
  const r = spawnSync(command, args, { stdio: "ignore", timeout: 15000 });
  return r.status === 0;
}

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/** The bwrap arguments that give a minimal system: /usr and its usual links, /proc, /dev, a private /tmp. */
function systemMounts(tmpMb: number): string[] {
  const args = ["--ro-bind", "/usr", "/usr"];
  for (const [link, target] of [["/lib", "usr/lib"], ["/lib64", "usr/lib64"], ["/bin", "usr/bin"], ["/sbin", "usr/sbin"]] as const) {
    if (existsSync(link)) args.push("--symlink", target, link);
  }
  // Node itself, when it is not under /usr (nvm, a tarball in /opt): its folder, read-only.
  const node = realpathSync(process.execPath);
  if (!node.startsWith("/usr/")) args.push("--ro-bind", dirname(dirname(node)), dirname(dirname(node)));
  args.push("--proc", "/proc", "--dev", "/dev", "--size", String(tmpMb * 1024 * 1024), "--tmpfs", "/tmp");
  return args;
}

function bwrapArgs(launch: Launch): string[] {
  return [
    "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--disable-userns",
    ...systemMounts(launch.tmpMb),
    "--ro-bind", launch.view, "/g",
    "--ro-bind", launch.nodeModules, "/g/node_modules",
    "--chdir", "/g",
    "--clearenv", "--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "LANG", "C.UTF-8",
    ...Object.entries(launch.env ?? {}).flatMap(([k, v]) => ["--setenv", k, v]),
    "--",
  ];
}

function limits(launch: Launch, nproc: number | undefined): string[] {
  if (!existsSync("/usr/bin/prlimit") && !works("prlimit", ["--version"])) return [];
  const bytes = launch.memoryMb * 1024 * 1024;
  return [
    "prlimit", `--as=${bytes}`, `--cpu=${Math.ceil(launch.cpuSeconds)}`, `--fsize=${launch.tmpMb * 1024 * 1024}`,
    "--nofile=512", "--core=0", ...(nproc === undefined ? [] : [`--nproc=${nproc}`]), "--",
  ];
}

/** The node binary as the sandboxed process sees it, with the permission flags for the exercise runner. */
export function nodeCommand(sandbox: Sandbox, view: string, readable: string[]): string[] {
  if (sandbox.kind === "none") return [process.execPath];
  if (sandbox.kind === "bwrap") return [process.execPath, ...NODE_FLAGS_EXERCISE, "--allow-fs-read=/g", "--allow-fs-read=/usr", "--allow-fs-write=/tmp"];
  return [process.execPath, ...NODE_FLAGS_EXERCISE, `--allow-fs-read=${view}`, ...readable.map((p) => `--allow-fs-read=${p}`), `--allow-fs-write=${join(view, ".tmp")}`];
}

/** Tries bwrap the way grading uses it; returns why it cannot be used, or undefined when it works. */
function bwrapProblem(nodeModules: string, asUid?: number): string | undefined {
  if (!works("bwrap", ["--version"])) return "bwrap (Debian/Ubuntu: apt-get install bubblewrap) is not installed";
  const probe = join(dirname(nodeModules), "build", "assignment", `.sandbox-probe-${process.pid}`);
  mkdirSync(join(probe, "node_modules"), { recursive: true, mode: 0o755 });
  chmodSync(probe, 0o755);
  try {
    const launch: Launch = { view: probe, nodeModules, command: [], slot: 0, memoryMb: 1024, cpuSeconds: 10, tmpMb: 8 };
    const prefix = asUid === undefined ? [] : ["setpriv", `--reuid=${asUid}`, `--regid=${asUid}`, "--clear-groups", "--"];
    const [cmd, ...args] = [...prefix, "bwrap", ...bwrapArgs(launch), process.execPath, "-e", "require('fs').readdirSync('/g/node_modules')"];
    const r = spawnSync(cmd!, args, { encoding: "utf8", timeout: 20000 });
    if (r.status === 0) return undefined;
    return `bwrap failed: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split("\n")[0]}`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/**
 * The sandbox to use: "auto" takes bwrap when it works here, else Node's permission model;
 * "none" needs `unsafe`. Throws a clear error when the requested one cannot run.
 */
export function chooseSandbox(requested: "auto" | SandboxKind, nodeModules: string, unsafe: boolean): Sandbox {
  const warnings: string[] = [];
  if (requested === "none") {
    if (!unsafe) throw new Error("--sandbox none runs student code with your permissions; add --unsafe if you really mean it");
    return { kind: "none", summary: "NO SANDBOX (--unsafe): student code runs with the grader's permissions", warnings: ["student code runs unsandboxed (--unsafe)"] };
  }
  if (requested === "auto" || requested === "bwrap") {
    let problem = bwrapProblem(nodeModules, isRoot() ? UID_BASE : undefined);
    if (problem === undefined) {
      const who = isRoot() ? `uid ${UID_BASE}+ (unprivileged)` : "your uid, without capabilities";
      return { kind: "bwrap", summary: `bubblewrap: no network, own PID namespace, read-only files, private /tmp, ${who}, rlimits; Node's permission model inside`, warnings, ...(isRoot() ? { baseUid: UID_BASE } : {}) };
    }
    if (isRoot()) {
      // An unprivileged uid cannot reach the project (a private home folder) or make namespaces: bwrap as root, uid 0 without capabilities.
      const asRoot = bwrapProblem(nodeModules);
      if (asRoot === undefined) {
        warnings.push(`bubblewrap runs as uid 0 without capabilities (an unprivileged uid could not be used: ${problem}); the process limit is not enforced`);
        return { kind: "bwrap", summary: "bubblewrap (as uid 0 without capabilities): no network, own PID namespace, read-only files, private /tmp, rlimits; Node's permission model inside", warnings };
      }
      problem = asRoot;
    }
    if (requested === "bwrap") throw new Error(`--sandbox bwrap: ${problem}`);
    warnings.push(`bubblewrap is not available (${problem}); falling back to Node's permission model, which does NOT isolate the network, the process table or memory beyond rlimits`);
  }
  const major = Number(process.versions.node.split(".")[0]);
  if (major < 20) {
    if (!unsafe) throw new Error(`no sandbox available (Node ${process.versions.node} has no permission model and bwrap is not usable); install bubblewrap, or add --unsafe to grade without a sandbox`);
    return { kind: "none", summary: "NO SANDBOX (--unsafe)", warnings: [...warnings, "student code runs unsandboxed"] };
  }
  return { kind: "node", summary: "Node's permission model only (reads limited to the grading folder and packages, no child processes, writes only to a private folder; network NOT isolated)", warnings };
}

export interface Sandboxed {
  child: ChildProcess;
  /** Ends the sandbox and everything in it; safe to call twice. */
  kill(): void;
}

/** Starts `launch.command` in the sandbox; stdio is [pipe, pipe, pipe, ...extra pipes]. */
export function startSandboxed(sandbox: Sandbox, launch: Launch): Sandboxed {
  const root = sandbox.kind === "bwrap" ? "/g" : launch.view;
  const command = launch.command.map((a) => a.split("@G").join(root));
  const stdio: ("pipe")[] = new Array(3 + (launch.extraFds ?? 0)).fill("pipe");
  let argv: string[];
  let env: NodeJS.ProcessEnv;
  if (sandbox.kind === "bwrap") {
    const uid = sandbox.baseUid === undefined ? undefined : sandbox.baseUid + launch.slot;
    const prefix = uid === undefined ? [] : ["setpriv", `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "--"];
    argv = [...limits(launch, uid === undefined ? undefined : launch.allowProcesses ? 512 : 128), ...prefix, "bwrap", ...bwrapArgs(launch), ...command];
    env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
  } else {
    const tmp = join(launch.view, ".tmp");
    mkdirSync(tmp, { recursive: true });
    argv = [...limits(launch, undefined), ...command];
    env = { HOME: tmp, TMPDIR: tmp, PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", ...launch.env };
  }
  const child = spawn(argv[0]!, argv.slice(1), { cwd: launch.view, env, stdio, detached: sandbox.kind !== "bwrap" });
  let killed = false;
  const kill = (): void => {
    if (killed) return;
    killed = true;
    try {
      // bwrap: its PID namespace dies with it (and --die-with-parent); otherwise the process group.
      if (sandbox.kind === "bwrap") child.kill("SIGKILL");
      else if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  child.on("exit", () => {
    if (sandbox.kind !== "bwrap" && child.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // the group is empty
      }
    }
  });
  return { child, kill };
}

/** Paths the node fallback must be allowed to read: each package of node_modules except the project's own library link. */
export function packagePaths(nodeModules: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || entry.name === "classifiers") continue;
    const full = join(nodeModules, entry.name);
    try {
      out.push(realpathSync(full));
    } catch {
      // a dangling link
    }
  }
  return out;
}
