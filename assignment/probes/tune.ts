/** Probe of the random-search exercise. */
import type * as Space from "../../lib/src/tune/space.js";
import type { Probe } from "../probe-kit.js";

/** A search space as data: name -> ["logUniform", low, high] | ["uniform", low, high] | ["int", low, high] | ["choice", ...values] | ["fixed", value]. */
export type SpaceSpec = Record<string, [string, ...(number | string | boolean)[]]>;

export const probes: Record<string, Probe> = {
  /** { space, count, seeds } -> randomConfigs(space, count, seed) for each seed. */
  async "random-configs"(input: { space: SpaceSpec; count: number; seeds: number[] }, { load }) {
    const s = await load<typeof Space>("tune/space");
    const space: Space.SearchSpace = {};
    for (const [name, [kind, ...args]] of Object.entries(input.space)) {
      const [a, b] = args as [number, number];
      space[name] = kind === "logUniform" ? s.logUniform(a, b) : kind === "uniform" ? s.uniform(a, b) : kind === "int" ? s.intRange(a, b)
        : kind === "choice" ? s.choice(...args) : s.fixed(args[0]!);
    }
    return input.seeds.map((seed) => s.randomConfigs(space, input.count, seed));
  },
};
