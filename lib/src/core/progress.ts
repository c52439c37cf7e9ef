/**
 * Progress for long work: a line every few seconds (not every step), so a notebook or a CI log
 * shows that something is happening and roughly how long it will take.
 */
export interface Progress {
  /** Record `steps` more units of work done (default 1). */
  tick(steps?: number): void;
  /** Print the final line with the total time; returns elapsed seconds. */
  done(extra?: string): number;
}

export interface ProgressOptions {
  /** Minimum seconds between lines (default 2). */
  everySeconds?: number;
  /** Where lines go (default console.log). Pass `() => {}` to silence. */
  write?: (line: string) => void;
}

export function progress(label: string, total: number, options: ProgressOptions = {}): Progress {
  const every = (options.everySeconds ?? 2) * 1000;
  const write = options.write ?? ((line: string) => console.log(line));
  const start = performance.now();
  let last = start;
  let done = 0;
  return {
    tick(steps = 1) {
      done += steps;
      const now = performance.now();
      if (now - last >= every && done < total) {
        last = now;
        const elapsed = (now - start) / 1000;
        const eta = (elapsed / done) * (total - done);
        write(`${label}: ${done}/${total} (${((100 * done) / total).toFixed(0)}%), ${elapsed.toFixed(1)} s, ~${eta.toFixed(0)} s left`);
      }
    },
    done(extra) {
      const elapsed = (performance.now() - start) / 1000;
      write(`${label}: ${total}/${total} in ${elapsed.toFixed(2)} s${extra ? `, ${extra}` : ""}`);
      return elapsed;
    },
  };
}
