/**
 * A progress bar on stderr when it is a terminal (nothing otherwise, so pipes and --json
 * output stay clean): work in phases, each with its own total, labelled in French and English.
 */
export interface ProgressBar<P extends string> {
  update(p: { phase: P; done: number; total: number }): void;
  stop(): void;
}

export async function progressBar<P extends string>(options: {
  labels: Record<P, string>;
  unit: string;
  /** Shown in this unit (e.g. bytes → MB). */
  scale?: (n: number) => number;
  /** A phase with a smaller total is not worth a bar. */
  minTotal?: number;
}): Promise<ProgressBar<P> | null> {
  if (!process.stderr.isTTY) return null;
  const { SingleBar, Presets } = await import("cli-progress");
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: `{phase} [{bar}] {percentage}% | {value}/{total} ${options.unit} | ETA {eta}s`,
      hideCursor: true,
      clearOnComplete: true,
    },
    Presets.shades_classic,
  );
  const scale = options.scale ?? ((n: number) => n);
  const width = Math.max(...Object.values<string>(options.labels).map((l) => l.length));
  let phase: P | null = null;
  let shown = false;
  return {
    update(p) {
      const label = options.labels[p.phase].padEnd(width);
      if (phase !== p.phase) {
        if (shown) bar.stop();
        phase = p.phase;
        shown = false;
      }
      // A phase's total may change as it goes (projected while ranges of customers are planned):
      // its bar appears once the total is worth one, and follows it.
      if (!shown && p.total >= (options.minTotal ?? 0)) {
        shown = true;
        bar.start(scale(p.total), scale(p.done), { phase: label });
      } else if (shown) {
        bar.setTotal(scale(p.total));
        bar.update(scale(p.done), { phase: label });
      }
    },
    stop() {
      if (shown) bar.stop();
      shown = false;
    },
  };
}
