/**
 * TensorFlow's start-up lines: loads tfjs-node without the two lines libtensorflow prints as it
 * loads, unless the user asked for TensorFlow's logs by setting TF_CPP_MIN_LOG_LEVEL.
 *
 * The lines ("All log messages before absl::InitializeLog()…", "oneDNN custom operations are on…")
 * come from static initialisers that run inside dlopen, before any code of the binding, and
 * TensorFlow 2.21 ignores TF_CPP_MIN_LOG_LEVEL for them (measured; TF_ENABLE_ONEDNN_OPTS=0 would
 * silence them but trains ~25% slower). Node cannot redirect a file descriptor, so
 * scripts/native-backend.sh compiles a tiny addon (scripts/stderr-capture.c) that swaps fd 2 for a
 * temporary file around the load. Everything else written meanwhile is printed afterwards: a real
 * warning or error from the load is delayed, never lost.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

/** The environment variable that, when set, means "show me TensorFlow's logs". */
export const TF_LOG_LEVEL_ENV_VAR = "TF_CPP_MIN_LOG_LEVEL";
/**
 * Set beside TF_CPP_MIN_LOG_LEVEL when the library chose its value, so that child processes (tune
 * workers, the grader's sandboxes), which inherit both, can tell the library's choice from the user's.
 */
export const LEVEL_CHOSEN_BY_LIBRARY_ENV_VAR = "CLASSIFIERS_TF_LOG_LEVEL_CHOSEN";
/** Where scripts/native-backend.sh leaves the addon: in the tfjs-node package, beside its route note. */
export const STDERR_CAPTURE_FILE = "stderr_capture.node";

const STARTUP_LINES = [
  /^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$/,
  /^I\d{4} [\d:. ]+\d+ port\.cc:\d+\] oneDNN custom operations are on\./,
];

interface StderrCapture {
  start(): void;
  stop(): string;
}

/** `text` without TensorFlow's known start-up lines. */
export function withoutStartupLines(text: string): string {
  return text
    .split(/(?<=\n)/)
    .filter((line) => !STARTUP_LINES.some((pattern) => pattern.test(line.trimEnd())))
    .join("");
}

/**
 * Requires `@tensorflow/tfjs-node` (which loads libtensorflow), quietly when the capture addon
 * is there and the user has not set TF_CPP_MIN_LOG_LEVEL. Throws what the require throws.
 */
export function requireTfjsNode(): unknown {
  const require = createRequire(import.meta.url);
  const level = process.env[TF_LOG_LEVEL_ENV_VAR];
  const userWantsLogs = level !== undefined && level !== process.env[LEVEL_CHOSEN_BY_LIBRARY_ENV_VAR];
  if (level === undefined) {
    // Quiets TensorFlow's own INFO and WARNING logs from here on (the start-up lines ignore it).
    process.env[TF_LOG_LEVEL_ENV_VAR] = "2";
    process.env[LEVEL_CHOSEN_BY_LIBRARY_ENV_VAR] = "2";
  }
  const capture = userWantsLogs ? undefined : loadCapture(require);
  if (capture === undefined || !started(capture)) return require("@tensorflow/tfjs-node");
  try {
    return require("@tensorflow/tfjs-node");
  } finally {
    const rest = withoutStartupLines(capture.stop());
    if (rest !== "") process.stderr.write(rest);
  }
}

/** Starts capturing; false when it cannot (no temporary file, say): then the lines simply print. */
function started(capture: StderrCapture): boolean {
  try {
    capture.start();
    return true;
  } catch {
    return false;
  }
}

function loadCapture(require: NodeJS.Require): StderrCapture | undefined {
  try {
    const file = path.join(path.dirname(require.resolve("@tensorflow/tfjs-node/package.json")), STDERR_CAPTURE_FILE);
    return existsSync(file) ? (require(file) as StderrCapture) : undefined;
  } catch {
    return undefined; // no tfjs-node, or an addon built for another Node: the lines print, nothing else changes
  }
}
