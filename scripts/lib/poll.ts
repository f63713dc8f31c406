// Waiting for a condition on a running system, on zx's retry (no hand-written loops or timers).
import { retry } from 'zx';

export interface Polled<T> {
  /** The last value read. */
  value: T;
  /** Whether the last value is the one wanted. */
  ok: boolean;
  /** Seconds from the first read to the last. */
  seconds: number;
}

export interface PollLimits {
  /** Pause between two reads, in milliseconds. */
  everyMs: number;
  /** Stop after this many seconds (a read that started before the limit still counts). */
  seconds?: number;
  /** Stop after this many reads. */
  attempts?: number;
}

const notYet = new Error('poll: not yet');

/**
 * Reads until `want(value)` holds or a limit is reached, and returns the last value either way.
 * `want` is called once per read. An error thrown by `read` is not retried: it ends the poll and is thrown again.
 */
export async function pollUntil<T>(read: () => Promise<T>, want: (value: T) => boolean, limits: PollLimits): Promise<Polled<T>> {
  if (limits.seconds === undefined && limits.attempts === undefined) throw new Error('pollUntil: give seconds or attempts');
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  const attempts = limits.attempts ?? Math.ceil((limits.seconds! * 1000) / Math.max(1, limits.everyMs)) + 1;
  let last: { value: T; ok: boolean } | undefined;
  let failure: { error: unknown } | undefined;
  let reads = 0;
  await retry(attempts, limits.everyMs, async () => {
    try {
      const value = await read();
      last = { value, ok: want(value) };
    } catch (error) {
      failure = { error };
      return;
    }
    reads++;
    const timeLeft = limits.seconds === undefined || elapsed() < limits.seconds;
    if (!last.ok && timeLeft && reads < attempts) throw notYet;
  });
  if (failure) throw failure.error;
  return { value: last!.value, ok: last!.ok, seconds: elapsed() };
}
