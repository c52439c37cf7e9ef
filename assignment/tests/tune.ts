/** Public cases of the random-search exercise: properties of the draws (any correct sampler passes). */
import { cases, expect, expectSame, type Case } from "../check-kit.js";

type Config = Record<string, unknown>;
type Spec = Record<string, [string, ...(number | string | boolean)[]]>;

/** Draws stay in range, the same seed repeats, another seed differs; log-uniform draws spread over decades. */
export function randomSearchCase(name: string, space: Spec, count: number, seed: number, decadesOf?: string): Case {
  return {
    exercise: "random-search", name, probe: "random-configs", input: { space, count, seeds: [seed, seed, seed + 1] },
    check(got: Config[][]) {
      expect(Array.isArray(got) && got.length === 3 && got.every(Array.isArray), "expected the configurations of three calls");
      const [a, again, other] = got as [Config[], Config[], Config[]];
      expect(a.length === count, `${a.length} configurations, expected ${count}`);
      expectSame(again, a, "the same seed must give the same configurations; the configurations");
      if (count >= 5) expect(JSON.stringify(other.slice(0, 5)) !== JSON.stringify(a.slice(0, 5)), "another seed must give other configurations");
      const names = Object.keys(space).sort().join(",");
      const seenChoices = new Map<string, Set<unknown>>();
      for (const c of a) {
        expect(c !== null && typeof c === "object" && Object.keys(c).sort().join(",") === names, `a configuration has keys ${c && typeof c === "object" ? Object.keys(c).sort().join(", ") : String(c)}, expected ${names}`);
        for (const [param, [kind, ...args]] of Object.entries(space)) {
          const v = c[param];
          if (kind === "fixed") expect(v === args[0], `${param} is ${String(v)}, expected the fixed ${String(args[0])}`);
          else if (kind === "choice") {
            expect(args.includes(v as string), `${param} is ${String(v)}, not one of ${args.join(", ")}`);
            seenChoices.set(param, (seenChoices.get(param) ?? new Set()).add(v));
          } else {
            const [low, high] = args as [number, number];
            expect(typeof v === "number" && v >= low && v <= high, `${param} is ${String(v)}, outside ${low}..${high}`);
            if (kind === "int") {
              expect(Number.isInteger(v), `${param} is ${String(v)}, expected an integer`);
              seenChoices.set(param, (seenChoices.get(param) ?? new Set()).add(v));
            }
          }
        }
      }
      if (count >= 1000) {
        for (const [param, [kind, ...args]] of Object.entries(space)) {
          if (kind === "choice") expect(seenChoices.get(param)?.size === args.length, `every choice of ${param} should be drawn in ${count} draws`);
          if (kind === "int") expect(seenChoices.get(param)?.size === (args[1] as number) - (args[0] as number) + 1, `both ends of ${param}'s range should be drawn`);
        }
      }
      if (decadesOf) {
        const [, low, high] = space[decadesOf] as [string, number, number];
        const decades = Math.round(Math.log10(high / low));
        const counts = new Array<number>(decades).fill(0);
        for (const c of a) counts[Math.min(decades - 1, Math.floor(Math.log10((c[decadesOf] as number) / low)))]!++;
        const expected = count / decades;
        for (const n of counts) expect(Math.abs(n - expected) < 0.2 * expected, `draws per decade of ${decadesOf}: ${counts.join(", ")} (sample the exponent uniformly)`);
      }
    },
  };
}

export default cases(
  randomSearchCase("configurations stay in range, are reproducible by seed, and log-uniform draws spread over decades",
    { lr: ["logUniform", 1e-4, 1], reg: ["uniform", 0, 0.5], hidden: ["int", 10, 20], opt: ["choice", "sgd", "adam"], batch: ["fixed", 64] }, 2000, 7, "lr"),
);
