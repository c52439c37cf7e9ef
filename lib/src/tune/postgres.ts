/**
 * A study on PostgreSQL, for studies that outgrow one machine: any number of workers on any
 * machines open the same database URL and claim pending trials atomically. All trials are
 * enumerated up front and inserted as "pending"; a worker claims the next one with
 * `SELECT … FOR UPDATE SKIP LOCKED` (two workers never get the same row, and neither waits for
 * the other) and holds it under a lease (`lease_until`) that it renews while the trial runs. A
 * worker that dies stops renewing, its lease runs out, and the trial is claimable again, so only
 * that trial's work is lost. Uses the maintained `pg` client, loaded only when a URL is opened.
 */
import { createRequire } from "node:module";
import { hostname } from "node:os";
import type { Pool, PoolClient } from "pg";
import { checkKnownOptions, InvalidInputError } from "../core/checks.js";
import type { Config } from "./space.js";
import { trialRecordProblem, type StudyStore, type TrialClaim, type TrialRecord } from "./store.js";

export interface PostgresStoreOptions {
  /** The study's name (rows of other studies in the same database are never touched). */
  study: string;
  /** Seconds a claim lasts unless renewed (default 60; renewed every third of it). */
  leaseSeconds?: number;
  /** This worker's name in the trials table (default host:pid:random). */
  worker?: string;
  /** Give up connecting after this long (default 5,000 ms). */
  connectTimeoutMs?: number;
  /** Saved with a new study (e.g. its spec), for people reading the database. */
  spec?: unknown;
  /** Notes such as taking over an expired trial (default console.log). */
  log?: (line: string) => void;
}

/** A PostgreSQL-backed StudyStore; `worker` names this process in the trials table. */
export interface PostgresStudyStore extends StudyStore {
  readonly worker: string;
  readonly leaseSeconds: number;
  /** Status counts of the study's trials, e.g. { pending: 3, running: 2, ok: 5 }. */
  counts(): Promise<Record<string, number>>;
  /** Has a study of this name been registered (by `prepare`, possibly elsewhere)? */
  exists(): Promise<boolean>;
}

/** Does this store target look like a database URL rather than a folder? */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/** Query parameters that hold secrets (libpq's `password`, `sslpassword`, and anything named like one). */
const SECRET_PARAMETER = /pass|pwd|secret|token/i;

/**
 * The URL without its secrets, for messages: the password of `user:password@` and of query
 * parameters such as `?password=…` or `sslpassword=…` become `***`.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    for (const name of [...new Set(u.searchParams.keys())]) if (SECRET_PARAMETER.test(name)) u.searchParams.set(name, "***");
    return u.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ":***@").replace(/([?&][^=&#]*(?:pass|pwd|secret|token)[^=&#]*=)[^&#]*/gi, "$1***");
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tune_studies (
  name       text PRIMARY KEY,
  spec       json,
  configs    json NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS tune_trials (
  study               text NOT NULL REFERENCES tune_studies(name) ON DELETE CASCADE,
  id                  integer NOT NULL,
  config              json NOT NULL,
  status              text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'ok', 'diverged', 'failed')),
  worker              text,
  lease_until         timestamptz,
  attempts            integer NOT NULL DEFAULT 0,
  validation_accuracy double precision,
  final_loss          double precision,
  seconds             double precision,
  loss_curve          json,
  error               text,
  started_at          timestamptz,
  finished_at         timestamptz,
  PRIMARY KEY (study, id)
);
CREATE INDEX IF NOT EXISTS tune_trials_open ON tune_trials (study, id) WHERE status IN ('pending', 'running');
`;

// One advisory lock key for schema changes, so workers starting together do not race on CREATE.
const SCHEMA_LOCK = 726_354_001;

const finite = (v: number | null): number | null => (v !== null && Number.isFinite(v) ? v : null);

interface TrialRow {
  id: number;
  config: Config;
  status: TrialRecord["status"];
  validation_accuracy: number | null;
  final_loss: number | null;
  seconds: number | null;
  loss_curve: number[] | null;
  error: string | null;
  worker: string | null;
}

/**
 * Connects to the database (failing at once, with the URL minus its password, when it cannot),
 * creates the two tables if needed, and returns the study's store.
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions): Promise<PostgresStudyStore> {
  checkKnownOptions(options, ["study", "leaseSeconds", "worker", "connectTimeoutMs", "spec", "log"], "openPostgresStore");
  if (typeof url !== "string" || !isPostgresUrl(url)) throw new InvalidInputError("url", `openPostgresStore needs a postgres:// URL, got ${typeof url === "string" ? JSON.stringify(redactUrl(url)) : typeof url}`);
  const { study } = options;
  const leaseSeconds = options.leaseSeconds ?? 60;
  if (!(leaseSeconds > 0) || !Number.isFinite(leaseSeconds)) throw new InvalidInputError("leaseSeconds", `a lease must be a positive number of seconds, got ${leaseSeconds}`);
  if (typeof study !== "string" || study === "") throw new InvalidInputError("study", "a PostgreSQL store needs the study's name");
  const location = `${redactUrl(url)} (study ${study})`;
  const log = options.log ?? ((line: string) => console.log(line));
  const worker = options.worker ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const pg = createRequire(import.meta.url)("pg") as typeof import("pg");
  const pool: Pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: options.connectTimeoutMs ?? 5000 });
  // An idle connection that breaks (server restarted) must not crash the process; the next query reports it.
  pool.on("error", (err) => log(`${location}: connection lost: ${err.message}`));
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    await pool.end().catch(() => {});
    const reason = err instanceof Error ? err.message || (err as NodeJS.ErrnoException).code || err.name : String(err);
    throw new Error(`cannot reach the study database ${redactUrl(url)}: ${reason}`);
  }
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [SCHEMA_LOCK]);
    await client.query(SCHEMA);
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    client.release();
    await pool.end().catch(() => {});
    throw err;
  }
  client.release();

  const storedConfigs = async (): Promise<Config[] | undefined> => {
    const { rows } = await pool.query<{ configs: Config[] }>("SELECT configs FROM tune_studies WHERE name = $1", [study]);
    return rows[0]?.configs;
  };

  return {
    location,
    worker,
    leaseSeconds,
    async prepare(configs) {
      const c = await pool.connect();
      try {
        await c.query("BEGIN");
        await c.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [SCHEMA_LOCK, study]);
        const { rows } = await c.query<{ configs: Config[] }>("SELECT configs FROM tune_studies WHERE name = $1", [study]);
        if (rows[0]) {
          if (JSON.stringify(rows[0].configs) !== JSON.stringify(configs)) {
            throw new InvalidInputError(
              "store",
              `${location} already holds a study of this name with other configurations (${rows[0].configs.length} stored, ${configs.length} given, first difference at trial ${rows[0].configs.findIndex((x, i) => JSON.stringify(x) !== JSON.stringify(configs[i]))}): rename the study or use another database`,
            );
          }
          // Trials that failed in an earlier run (an error, not a divergence) run again.
          const retried = await c.query("UPDATE tune_trials SET status = 'pending', worker = NULL, lease_until = NULL WHERE study = $1 AND status = 'failed'", [study]);
          if (retried.rowCount) log(`${location}: ${retried.rowCount} trial${retried.rowCount === 1 ? "" : "s"} that failed in an earlier run will run again`);
        } else {
          await c.query("INSERT INTO tune_studies (name, spec, configs) VALUES ($1, $2::json, $3::json)", [study, JSON.stringify(options.spec ?? null), JSON.stringify(configs)]);
          await c.query(
            "INSERT INTO tune_trials (study, id, config) SELECT $1, (t.ord - 1)::int, t.value FROM json_array_elements($2::json) WITH ORDINALITY AS t(value, ord)",
            [study, JSON.stringify(configs)],
          );
        }
        await c.query("COMMIT");
      } catch (err) {
        await c.query("ROLLBACK").catch(() => {});
        throw err;
      } finally {
        c.release();
      }
    },
    async configs() {
      const configs = await storedConfigs();
      if (!configs) throw new InvalidInputError("store", `${location}: no such study in this database; start it once without --worker-only (or call prepare) first`);
      return configs;
    },
    exists: async () => (await storedConfigs()) !== undefined,
    async claim() {
      const { rows } = await pool.query<{ id: number; config: Config; attempts: number }>(
        // The CTE runs once (a subquery in FROM may be rescanned and claim several rows).
        `WITH next AS MATERIALIZED (
           SELECT id FROM tune_trials
            WHERE study = $1 AND (status = 'pending' OR (status = 'running' AND lease_until < now()))
            ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
         UPDATE tune_trials t
            SET status = 'running', worker = $2, lease_until = now() + make_interval(secs => $3), attempts = t.attempts + 1, started_at = now()
           FROM next
          WHERE t.study = $1 AND t.id = next.id
      RETURNING t.id, t.config, t.attempts`,
        [study, worker, leaseSeconds],
      );
      const row = rows[0];
      if (!row) return undefined;
      if (row.attempts > 1) log(`trial ${row.id + 1}: its previous worker's lease ran out; running it again here (attempt ${row.attempts})`);
      return { id: row.id, config: row.config };
    },
    async heldElsewhere() {
      const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM tune_trials WHERE study = $1 AND status = 'running' AND worker <> $2", [study, worker]);
      return rows[0]!.n;
    },
    async renew(claim: TrialClaim) {
      const { rowCount } = await pool.query(
        "UPDATE tune_trials SET lease_until = now() + make_interval(secs => $4) WHERE study = $1 AND id = $2 AND worker = $3 AND status = 'running'",
        [study, claim.id, worker, leaseSeconds],
      );
      return rowCount === 1;
    },
    async finish(record) {
      const { rowCount } = await pool.query(
        `UPDATE tune_trials
            SET status = $4, validation_accuracy = $5, final_loss = $6, seconds = $7, loss_curve = $8::json, error = $9, finished_at = now(), lease_until = NULL
          WHERE study = $1 AND id = $2 AND worker = $3 AND status = 'running'`,
        [study, record.id, worker, record.status, finite(record.validationAccuracy), finite(record.finalLoss), record.seconds, JSON.stringify(record.lossCurve), record.error ?? null],
      );
      return rowCount === 1;
    },
    async finished() {
      const { rows } = await pool.query<TrialRow>(
        `SELECT id, config, status, validation_accuracy, final_loss, seconds, loss_curve, error, worker
           FROM tune_trials WHERE study = $1 AND status IN ('ok', 'diverged', 'failed') ORDER BY id`,
        [study],
      );
      return rows.map((r) => {
        const record: TrialRecord = {
          id: r.id,
          config: r.config,
          status: r.status,
          validationAccuracy: r.validation_accuracy,
          finalLoss: r.final_loss,
          seconds: r.seconds ?? 0,
          lossCurve: r.loss_curve ?? [],
          ...(r.error !== null ? { error: r.error } : {}),
          ...(r.worker !== null ? { worker: r.worker } : {}),
        };
        // The table is edited by people too: a row no run could have written is named, not trusted.
        const problem = trialRecordProblem(record);
        if (problem) throw new InvalidInputError("store", `${location}: the row of trial ${r.id} in tune_trials: ${problem}; fix or delete that row`);
        return record;
      });
    },
    async counts() {
      const { rows } = await pool.query<{ status: string; n: number }>("SELECT status, count(*)::int AS n FROM tune_trials WHERE study = $1 GROUP BY status", [study]);
      return Object.fromEntries(rows.map((r) => [r.status, r.n]));
    },
    close: () => pool.end(),
  };
}
