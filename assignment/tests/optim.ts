/** Public cases of the training-step and momentum exercises (loss ½ Σ a_k w_k², a = (1, 10), from w = (1, 1)). */
import { cases, expect, expectClose, expectNumber, numbers, type Case } from "../check-kit.js";

interface StepOut { losses: unknown[]; ws: number[][]; leaked: number }

export function stepCase(name: string, input: { w0: number[]; a: number[]; fixedLoss?: number | null; rates: number[] }, hand?: { losses: number[]; ws: number[][] }): Case {
  return {
    exercise: "training-step", name, probe: "training-step", input,
    check(got: StepOut, want: StepOut) {
      expect(Array.isArray(got.losses) && got.losses.length === input.rates.length, "one loss per step");
      got.losses.forEach((loss, i) => {
        expect(typeof loss === "number", `step ${i + 1} returned ${typeof loss}, expected the loss as a number`);
        expectNumber(loss, (hand?.losses[i] ?? want.losses[i]) as number, 1e-5, `the loss returned by step ${i + 1} (the loss before the update)`);
        expectClose(got.ws[i], hand?.ws[i] ?? numbers(want.ws[i], "reference w"), 1e-5, `w after step ${i + 1}`);
      });
      expect(got.leaked === 0, `${got.leaked} tensors leaked (use tf.tidy)`);
    },
  };
}

export function momentumCase(name: string, options: Record<string, unknown>, rates: number[], hand?: number[]): Case {
  return {
    exercise: "sgd-momentum", name, probe: "momentum", input: { options, w0: [1, 1], a: [1, 10], rates },
    check(got: { w: number[]; leaked: number }, want: { w: number[] }) {
      if (hand) expectClose(got.w, hand, 1e-6, "w");
      expectClose(got.w, numbers(want.w, "reference w"), 1e-5, "w");
      expect(got.leaked === 0, `${got.leaked} tensors leaked`);
    },
  };
}

export default cases(
  // loss(1, 1) = ½(1 + 10) = 5.5; SGD with α = 0.05: w = (0.95, 0.5); loss(0.95, 0.5) = 1.70125
  stepCase("returns the loss before the update, applies the optimiser once, frees its tensors", { w0: [1, 1], a: [1, 10], rates: [0.05, 0.05] }, { losses: [5.5, 1.70125], ws: [[0.95, 0.5], [0.9025, 0.25]] }),
  stepCase("a non-finite loss skips the update", { w0: [1, 2], a: [1, 1], fixedLoss: null, rates: [0.1] }, { losses: [Number.NaN], ws: [[1, 2]] }),
  // ρ = 0.9, α = 0.05: g₀ = (1, 10); v₁ = g₀; w₁ = (0.95, 0.5); g₁ = (0.95, 5); v₂ = (1.85, 14); w₂ = (0.8575, −0.2)
  momentumCase("one step worked by hand (velocity form)", { momentum: 0.9 }, [0.05], [0.95, 0.5]),
  momentumCase("two steps worked by hand (velocity form)", { momentum: 0.9 }, [0.05, 0.05], [0.8575, -0.2]),
  momentumCase("two steps worked by hand (lr-in-velocity form)", { momentum: 0.9, form: "lr-in-velocity" }, [0.05, 0.05], [0.8575, -0.2]),
);
