/**
 * What students and the instructor read after grading:
 *   feedback/<student>.md and .html   each exercise's score and tests; a public test's failure
 *                                     message; a hidden test's name and pass/fail only
 *   summary.md                        per exercise: mean score, how many full marks, the commonest failure
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Exercise } from "./manifest.js";
import type { StudentGrade } from "./grade.js";

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Markdown-safe inline text (no tables broken, no HTML, no links smuggled in by a message). */
function md(text: string): string {
  return text.replace(/[\\`*_[\]<>|#]/g, (c) => `\\${c}`).replace(/\n/g, " ");
}

interface Line {
  exercise: string;
  score: string;
  tests: { name: string; visibility: string; passed: boolean; points: number; max: number; message?: string }[];
  note?: string;
}

/** A student's feedback: what may be shown (hidden tests' messages are dropped here). */
function feedbackLines(grade: StudentGrade): Line[] {
  return grade.exercises.map((e) => ({
    exercise: e.exercise,
    score: e.points === null ? `–/${e.max} (graded by hand)` : `${e.points}/${e.max}`,
    tests: e.tests.map((t) => ({ name: t.name, visibility: t.visibility, passed: t.passed, points: t.points, max: t.max, ...(t.visibility === "public" && !t.passed ? { message: t.message } : {}) })),
    ...(e.tests.length === 0 ? { note: e.points === null ? "graded by hand" : grade.error ? grade.error : e.message.split(";")[0] } : {}),
  }));
}

export function feedbackMarkdown(grade: StudentGrade): string {
  const out = [`# Feedback: ${md(grade.student)}`, "", `**Total: ${grade.points}/${grade.max} points**${grade.manualMax > 0 ? ` (+ ${grade.manualMax} graded by hand)` : ""}`, ""];
  if (grade.error) out.push(`The copy could not be graded: ${md(grade.error)}`, "");
  if (grade.integrity.signaturesChanged.length > 0) out.push(`Changed signatures (keep them as released): ${grade.integrity.signaturesChanged.map(md).join(", ")}`, "");
  if (grade.integrity.ignoredEdits.length > 0) out.push(`Only the files that hold exercises are graded; your edits to ${grade.integrity.ignoredEdits.map(md).join(", ")} were not used.`, "");
  out.push("Hidden tests show only whether they passed.", "");
  for (const line of feedbackLines(grade)) {
    out.push(`## ${md(line.exercise)}: ${line.score}`, "");
    if (line.note) out.push(md(line.note), "");
    for (const t of line.tests) {
      out.push(`- ${t.passed ? "✅ passed" : "❌ failed"} (${t.visibility}, ${t.points}/${t.max}): ${md(t.name)}${t.message ? `  \n  ${md(t.message)}` : ""}`);
    }
    out.push("");
  }
  return out.join("\n");
}

export function feedbackHtml(grade: StudentGrade): string {
  const rows = feedbackLines(grade).map((line) => {
    const tests = line.tests.map((t) => `<li class="${t.passed ? "pass" : "fail"}">${t.passed ? "passed" : "failed"} (${t.visibility}, ${t.points}/${t.max}): ${escapeHtml(t.name)}${t.message ? `<br><code>${escapeHtml(t.message)}</code>` : ""}</li>`).join("\n");
    return `<h2>${escapeHtml(line.exercise)}: ${escapeHtml(line.score)}</h2>\n${line.note ? `<p>${escapeHtml(line.note)}</p>\n` : ""}<ul>\n${tests}\n</ul>`;
  }).join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Feedback: ${escapeHtml(grade.student)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em}.pass{color:#17622b}.fail{color:#9b1c1c}code{white-space:pre-wrap}</style>
</head><body>
<h1>Feedback: ${escapeHtml(grade.student)}</h1>
<p><strong>Total: ${grade.points}/${grade.max} points</strong>${grade.manualMax > 0 ? ` (+ ${grade.manualMax} graded by hand)` : ""}</p>
${grade.error ? `<p>The copy could not be graded: ${escapeHtml(grade.error)}</p>\n` : ""}<p>Hidden tests show only whether they passed.</p>
${rows}
</body></html>
`;
}

export function writeFeedback(dir: string, grade: StudentGrade): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${grade.student}.md`), feedbackMarkdown(grade));
  writeFileSync(join(dir, `${grade.student}.html`), feedbackHtml(grade));
}

/** The instructor's summary per exercise; returns its path. */
export function writeSummary(outDir: string, students: StudentGrade[], exercises: Exercise[]): string {
  const out = ["# Grading summary", "", `${students.length} ${students.length === 1 ? "copy" : "copies"}; ${students.filter((s) => s.error).length} could not be graded; ${students.filter((s) => !s.trusted).length} flagged (edited tests or signatures).`, ""];
  out.push("| exercise | max | mean | full marks | commonest failure |", "|---|---|---|---|---|");
  for (const e of exercises) {
    const grades = students.map((s) => s.exercises.find((x) => x.exercise === e.name)).filter((g): g is NonNullable<typeof g> => g !== undefined);
    if (e.grading === "manual") {
      out.push(`| ${md(e.name)} | ${e.points} | (by hand) | | |`);
      continue;
    }
    const mean = grades.length > 0 ? grades.reduce((s, g) => s + (g.points ?? 0), 0) / grades.length : 0;
    const full = grades.filter((g) => g.points === g.max).length;
    // Ties go to the failure seen first (the exercise's tests are in order, public ones first).
    const failures = new Map<string, number>();
    for (const g of grades) for (const t of g.tests) if (!t.passed) {
      const key = `${t.name}: ${t.message.slice(0, 120)}`;
      failures.set(key, (failures.get(key) ?? 0) + 1);
    }
    const commonest = [...failures].sort((a, b) => b[1] - a[1])[0];
    out.push(`| ${md(e.name)} | ${e.points} | ${mean.toFixed(2)} | ${full}/${grades.length} | ${commonest ? `${md(commonest[0])} (${commonest[1]}×)` : ""} |`);
  }
  const path = join(outDir, "summary.md");
  writeFileSync(path, `${out.join("\n")}\n`);
  return path;
}
