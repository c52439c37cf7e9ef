/**
 * Small helpers shared by the figure builders (not part of the public surface).
 */
import { InvalidInputError } from "../core/checks.js";
import { PLOT_COLORS } from "./figure.js";
// ---------------------------------------------------------------------------------------------
// Small shared helpers

export function toNumbers(values: ArrayLike<number>, what: string, allowNonFinite = false): number[] {
  const out = Array.from(values, Number);
  if (!allowNonFinite) {
    const bad = out.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new InvalidInputError("values", `${what}[${bad}] is ${out[bad]}; expected a finite number.`);
  }
  return out;
}

export function axisTitle(text: string | undefined): { text: string } | undefined {
  return text === undefined ? undefined : { text };
}

export function titleOf(text: string | undefined): { title?: { text: string } } {
  return text === undefined ? {} : { title: { text } };
}

export function escapeText(text: string): string {
  // Plotly renders annotation and tick text as a small HTML subset: keep user text literal.
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function hexToRgb(hex: string): [number, number, number] {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new InvalidInputError("color", `expected a colour like #1f77b4, got ${hex}`);
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
}

/** `hex` blended towards white: amount 0 keeps the colour, 1 gives white. */
export function tint(hex: string, amount: number): string {
  const [r, g, b] = hexToRgb(hex).map((v) => Math.round(v + (255 - v) * amount)) as [number, number, number];
  return `rgb(${r},${g},${b})`;
}

export function classColor(c: number): string {
  return PLOT_COLORS[c % PLOT_COLORS.length]!;
}
