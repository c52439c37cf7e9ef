/**
 * How values cross the sandbox's wall: a probe's result (numbers, arrays, typed arrays, plain
 * objects, strings, booleans, null) as one JSON line, with what JSON cannot say spelled out (NaN,
 * ±Infinity, undefined, typed arrays). Only data crosses: the grader decodes it with `JSON.parse`
 * and judges it itself, so whatever student code writes can at worst be a wrong value.
 *
 * Used on both sides: by the runner inside the sandbox (encode) and by the grader (decode).
 * Self-contained (no imports) so the runner bundles it without pulling in anything else.
 */

const TYPED = ["Float32Array", "Float64Array", "Int32Array", "Uint8Array", "Int8Array", "Uint16Array", "Int16Array", "Uint32Array"] as const;
type TypedName = (typeof TYPED)[number];

function typedName(value: object): TypedName | undefined {
  if (!ArrayBuffer.isView(value) || value instanceof DataView) return undefined;
  const name = Object.prototype.toString.call(value).slice(8, -1);
  return (TYPED as readonly string[]).includes(name) ? (name as TypedName) : undefined;
}

/** JSON text of a value; NaN, ±Infinity, undefined and typed arrays survive the trip. */
export function encodeValue(value: unknown): string {
  const seen = new Set<object>();
  const walk = (v: unknown, depth: number): unknown => {
    if (depth > 64) throw new Error("the value nests more than 64 levels deep");
    if (typeof v === "number") return Number.isFinite(v) ? (Object.is(v, -0) ? 0 : v) : { $n: String(v) };
    if (typeof v === "string" || typeof v === "boolean" || v === null) return v;
    if (v === undefined) return { $u: 1 };
    if (typeof v === "bigint") return { $n: String(Number(v)) };
    if (typeof v === "function" || typeof v === "symbol") return { $fn: typeof v };
    if (typeof v !== "object") return String(v);
    if (seen.has(v)) throw new Error("the value refers to itself");
    seen.add(v);
    try {
      const typed = typedName(v);
      if (typed) return { $t: typed, d: Array.from(v as unknown as ArrayLike<number>, (x) => walk(x, depth + 1)) };
      if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
      if (v instanceof Error) return { $error: v.message };
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v)) out[key] = walk((v as Record<string, unknown>)[key], depth + 1);
      return out;
    } finally {
      seen.delete(v);
    }
  };
  return JSON.stringify(walk(value, 0));
}

const CONSTRUCTORS: Record<TypedName, new (data: number[]) => ArrayLike<number>> = {
  Float32Array, Float64Array, Int32Array, Uint8Array, Int8Array, Uint16Array, Int16Array, Uint32Array,
};

/**
 * The value a JSON line stood for. Objects come back as null-prototype records, so a key named
 * "__proto__" in untrusted data is just a key.
 */
export function decodeValue(text: string): unknown {
  const revive = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(revive);
    if (v === null || typeof v !== "object") return v;
    const record = v as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1 && keys[0] === "$n" && typeof record.$n === "string") return Number(record.$n);
    if (keys.length === 1 && keys[0] === "$u") return undefined;
    if (keys.length === 2 && typeof record.$t === "string" && Array.isArray(record.d) && record.$t in CONSTRUCTORS) {
      return new CONSTRUCTORS[record.$t as TypedName]((record.d as unknown[]).map((x) => Number(revive(x))));
    }
    const out = Object.create(null) as Record<string, unknown>;
    for (const key of keys) out[key] = revive(record[key]);
    return out;
  };
  return revive(JSON.parse(text));
}
