/** Hidden cases of the training-step and momentum exercises: instructor-only. */
import { cases } from "../check-kit.js";
import { momentumCase, stepCase } from "../tests/optim.js";

const decaying = Array.from({ length: 12 }, (_, t) => 0.05 / (1 + t));

export default cases(
  stepCase("three steps with changing rates", { w0: [2, -1, 0.5], a: [1, 3, 0.5], rates: [0.1, 0.05, 0.2] }),
  stepCase("a zero learning rate leaves w alone", { w0: [1, 1], a: [1, 10], rates: [0] }),
  stepCase("an infinite loss skips the update too", { w0: [3, 4], a: [1, 1], fixedLoss: Number.POSITIVE_INFINITY, rates: [0.1] }),
  momentumCase("the two forms agree after 30 steps at a constant rate", { form: "lr-in-velocity" }, new Array<number>(30).fill(0.02)),
  momentumCase("30 steps, velocity form", { form: "velocity" }, new Array<number>(30).fill(0.02)),
  momentumCase("a decaying rate: the velocity form", { momentum: 0.8 }, decaying),
  momentumCase("a decaying rate: the lr-in-velocity form differs from the velocity form", { momentum: 0.8, form: "lr-in-velocity" }, decaying),
  momentumCase("momentum 0 is plain SGD", { momentum: 0 }, [0.05, 0.05, 0.05], [0.857375, 0.125]),
);
