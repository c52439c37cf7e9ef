/**
 * A node:test reporter for the grader: one JSON line per finished test (name, passed or not,
 * skipped, the first line of the failure's message). The grader points it at a file with
 * `--test-reporter-destination`, so whatever the student's code prints cannot be mistaken for a result.
 */
import type { TestEvent } from "node:test/reporters";

/** One line of the report: a finished test, or the run's closing summary (proof that it ran to the end). */
export type ReportLine = ReportedTest | { summary: string };

export interface ReportedTest {
  name: string;
  passed: boolean;
  skipped: boolean;
  /** Failure message (the underlying error's, not the runner's wrapper). */
  message?: string;
}

function failureMessage(error: unknown): string {
  // The runner wraps what the test threw; the student's own error is its `cause`.
  const cause = (error as { cause?: unknown } | undefined)?.cause ?? error;
  const text = cause instanceof Error ? cause.message : typeof cause === "object" && cause !== null && "message" in cause ? String((cause as { message: unknown }).message) : String(cause);
  return text.split("\n").map((l) => l.trim()).filter((l) => l !== "").slice(0, 3).join(" ").slice(0, 300);
}

export default async function* gradeReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  for await (const event of source) {
    if (event.type === "test:diagnostic" && event.data.nesting === 0) {
      // The runner's closing lines ("tests 3", "pass 3", ..., "duration_ms 812") come only after every test ended.
      yield `${JSON.stringify({ summary: event.data.message })}\n`;
      continue;
    }
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const data = event.data as { name: string; skip?: unknown; todo?: unknown; details: { error?: unknown } };
    const line: ReportedTest = {
      name: data.name,
      passed: event.type === "test:pass",
      skipped: data.skip !== undefined && data.skip !== false,
      ...(event.type === "test:fail" ? { message: failureMessage(data.details.error) } : {}),
    };
    yield `${JSON.stringify(line)}\n`;
  }
}
