// Progress of long work (lab up, artifact builds, the test runner): which step, how far, how long.
// On a terminal one line is redrawn while a step runs; elsewhere (CI logs) each step gets a start
// line, a heartbeat line every `heartbeatMs` while it runs, and an end line, so a log never goes
// silent for minutes (also on a terminal when the step prints output of its own). The formatting is pure; `Progress` takes its clock and output as parameters.

export interface ProgressOutput {
  /** true when lines may be redrawn in place (a terminal) */
  readonly isTTY: boolean;
  write(text: string): void;
}

export interface ProgressOptions {
  /** prefix of every line, e.g. `lab` */
  readonly label: string;
  /** number of steps when known: lines then say `3/7` */
  readonly total?: number;
  readonly output?: ProgressOutput;
  readonly now?: () => number;
  /** how often a running step reports that it is still running */
  readonly heartbeatMs?: number;
}

export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
}

/** `lab [3/7] building the host image (12 s, total 1 min 05 s)` */
export function formatProgressLine(
  label: string,
  index: number,
  total: number | undefined,
  step: string,
  stepMs: number | undefined,
  totalMs: number,
  state: 'start' | 'running' | 'done' | 'failed',
): string {
  const position = total === undefined ? `[${index}]` : `[${index}/${total}]`;
  const verb = state === 'done' ? 'done: ' : state === 'failed' ? 'FAILED: ' : state === 'running' ? 'still ' : '';
  const times = stepMs === undefined ? `total ${formatElapsed(totalMs)}` : `${formatElapsed(stepMs)}, total ${formatElapsed(totalMs)}`;
  return `${label} ${position} ${verb}${step} (${times})`;
}

const processOutput: ProgressOutput = {
  get isTTY() {
    return Boolean(process.stderr.isTTY);
  },
  write: (text) => process.stderr.write(text),
};

export class Progress {
  private readonly label: string;
  private readonly total: number | undefined;
  private readonly output: ProgressOutput;
  private readonly now: () => number;
  private readonly heartbeatMs: number;
  private readonly started: number;
  private index = 0;

  constructor(options: ProgressOptions) {
    this.label = options.label;
    this.total = options.total;
    this.output = options.output ?? processOutput;
    this.now = options.now ?? Date.now;
    this.heartbeatMs = options.heartbeatMs ?? 30_000;
    this.started = this.now();
  }

  /**
   * Runs one step, reporting its start, heartbeats while it runs, and its end (or failure).
   * `streams`: the work prints output of its own (ansible-playbook, say), so lines are never redrawn.
   */
  async step<T>(name: string, work: () => Promise<T>, { streams = false }: { streams?: boolean } = {}): Promise<T> {
    this.index += 1;
    const index = this.index;
    const stepStarted = this.now();
    const line = (state: 'start' | 'running' | 'done' | 'failed') =>
      formatProgressLine(this.label, index, this.total, name, state === 'start' ? undefined : this.now() - stepStarted, this.now() - this.started, state);
    const tty = this.output.isTTY && !streams;
    this.output.write(tty ? `\r\x1b[K${line('start')}` : `${line('start')}\n`);
    const timer = setInterval(
      () => this.output.write(tty ? `\r\x1b[K${line('running')}` : `${line('running')}\n`),
      tty ? Math.min(this.heartbeatMs, 1000) : this.heartbeatMs,
    );
    timer.unref();
    try {
      const result = await work();
      this.output.write(tty ? `\r\x1b[K${line('done')}\n` : `${line('done')}\n`);
      return result;
    } catch (error) {
      this.output.write(tty ? `\r\x1b[K${line('failed')}\n` : `${line('failed')}\n`);
      throw error;
    } finally {
      clearInterval(timer);
    }
  }
}
