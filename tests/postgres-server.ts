/**
 * A throwaway PostgreSQL server for tests: Debian's `postgresql` binaries (installed with
 * apt-get when missing and running as root), a cluster in a temporary folder on a free loopback
 * port, run as the `postgres` user when we are root (the server refuses to run as root), trust
 * authentication, stopped and deleted by `stop()`. When it cannot start, `start` says why, and
 * the tests that need it are skipped with that message.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PostgresServer {
  url: string;
  stop(): void;
}

function binDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb"))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], "bin") : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** Starts a server, or returns the reason it cannot (to skip with). */
export async function startPostgres(): Promise<PostgresServer | { skip: string }> {
  let bin = binDir();
  if (!bin && isRoot() && process.platform === "linux" && existsSync("/usr/bin/apt-get")) {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    spawnSync("apt-get", ["install", "-y", "-q", "postgresql"], { env, stdio: "ignore", timeout: 300_000 });
    bin = binDir();
  }
  if (!bin) return { skip: "PostgreSQL is not installed (Debian: apt-get install postgresql; run the tests as root to have them install it)" };
  let runAs: string[] = [];
  let owner: { uid: number; gid: number } | undefined;
  if (isRoot()) {
    try {
      owner = { uid: Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" })), gid: Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" })) };
    } catch {
      return { skip: "running as root, and there is no `postgres` user to run the server as (PostgreSQL refuses to run as root)" };
    }
    runAs = ["runuser", "-u", "postgres", "--"];
  }
  const dir = mkdtempSync(join(tmpdir(), "classifiers-pg-"));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, "data");
  const run = (args: string[]): { ok: boolean; output: string } => {
    const [cmd, ...rest] = [...runAs, ...args];
    const r = spawnSync(cmd!, rest, { encoding: "utf8", timeout: 60_000, cwd: dir });
    return { ok: r.status === 0, output: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}` };
  };
  const init = run([join(bin, "initdb"), "-D", data, "-U", "tune", "-A", "trust", "-E", "UTF8", "--no-sync"]);
  if (!init.ok) {
    rmSync(dir, { recursive: true, force: true });
    return { skip: `initdb failed: ${init.output.trim().split("\n").slice(-3).join(" ")}` };
  }
  const port = await freePort();
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const started = run([join(bin, "pg_ctl"), "-D", data, "-l", join(dir, "server.log"), "-o", options, "-w", "-t", "60", "start"]);
  if (!started.ok) {
    const serverLog = existsSync(join(dir, "server.log")) ? readFileSync(join(dir, "server.log"), "utf8") : "";
    rmSync(dir, { recursive: true, force: true });
    return { skip: `pg_ctl start failed: ${started.output.trim()} ${serverLog.trim().split("\n").slice(-3).join(" ")}` };
  }
  return {
    url: `postgres://tune@127.0.0.1:${port}/postgres`,
    stop() {
      run([join(bin!, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
