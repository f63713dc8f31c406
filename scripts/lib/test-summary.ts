// Pure helpers for the test runner: counting results of the suite's steps and rendering the
// closing line that CI reads (`N passed, N failed`).
import { stripVTControlCharacters } from 'node:util';

export type StepOutcome = 'passed' | 'failed' | 'skipped';

export interface StepResult {
  name: string;
  passed: number;
  failed: number;
  skipped: number;
  /** Why a step was skipped or failed, shown in the summary. */
  note?: string;
  seconds: number;
}

export interface MochaCounts {
  passing: number;
  failing: number;
  pending: number;
}

/** The parts of mocha's JSON reporter output (`--reporter json`) the summary reads. */
interface MochaJson {
  stats: { passes: number; failures: number; pending: number };
  failures: { fullTitle: string; err: { message?: string } }[];
}

function readMochaJson(json: string): MochaJson | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  const stats = (parsed as Partial<MochaJson> | null)?.stats;
  if (!stats || ![stats.passes, stats.failures, stats.pending].every(Number.isInteger)) return undefined;
  return parsed as MochaJson;
}

/** The counts of mocha's JSON reporter output; undefined when mocha wrote no result. */
export function parseMochaCounts(json: string): MochaCounts | undefined {
  const result = readMochaJson(json);
  if (!result) return undefined;
  return { passing: result.stats.passes, failing: result.stats.failures, pending: result.stats.pending };
}

/** One line per failed test of mocha's JSON reporter output: its full title and the error message. */
export function mochaFailures(json: string): string[] {
  return (readMochaJson(json)?.failures ?? []).map((f) => `${f.fullTitle}: ${(f.err.message ?? '').split('\n')[0]}`);
}

/** A step that is one check: it passed, failed or was skipped as a whole. */
export function singleStep(name: string, outcome: StepOutcome, seconds: number, note?: string): StepResult {
  return {
    name,
    passed: outcome === 'passed' ? 1 : 0,
    failed: outcome === 'failed' ? 1 : 0,
    skipped: outcome === 'skipped' ? 1 : 0,
    seconds,
    ...(note === undefined ? {} : { note }),
  };
}

export function totals(steps: readonly StepResult[]): { passed: number; failed: number; skipped: number } {
  return steps.reduce(
    (sum, step) => ({
      passed: sum.passed + step.passed,
      failed: sum.failed + step.failed,
      skipped: sum.skipped + step.skipped,
    }),
    { passed: 0, failed: 0, skipped: 0 },
  );
}

// Lines a failing step prints about its failure: the verify parts' `FAIL` and `PROBLEM` lines,
// Ansible's `fatal:`/`FAILED!` and Molecule's CRITICAL.
const FAILURE_LINE = /^\s*(FAIL\b|PROBLEM\b|CRITICAL\b|fatal:|failed:|.*FAILED!)/;

/**
 * Why a step failed, from its output: the last `limit` distinct failure lines, each cut to
 * `width` characters. CI shows the end of the log, so the runner prints these next to the summary.
 */
export function failureReasons(output: string, limit = 12, width = 240): string[] {
  const lines = stripVTControlCharacters(output)
    .split('\n')
    .map((line) => line.replace(/^[\s│|>]+/, '').trimEnd())
    .filter((line) => FAILURE_LINE.test(line));
  return [...new Set(lines)].slice(-limit).map((line) => (line.length > width ? `${line.slice(0, width)}…` : line));
}

/** The summary table plus the closing line; the closing line is always last. */
export function renderSummary(steps: readonly StepResult[]): string {
  const lines = ['', 'Test summary:'];
  const nameWidth = Math.max(28, ...steps.map((step) => step.name.length));
  for (const step of steps) {
    const counts = `${step.passed} passed, ${step.failed} failed${step.skipped ? `, ${step.skipped} skipped` : ''}`;
    const note = step.note ? `  (${step.note})` : '';
    lines.push(`  ${step.name.padEnd(nameWidth)} ${counts.padEnd(34)} ${step.seconds.toFixed(0).padStart(5)} s${note}`);
  }
  const sum = totals(steps);
  const seconds = steps.reduce((acc, step) => acc + step.seconds, 0);
  lines.push(`  total time ${seconds.toFixed(0)} s${sum.skipped ? `; ${sum.skipped} skipped (see notes)` : ''}`);
  lines.push(`${sum.passed} passed, ${sum.failed} failed`);
  return lines.join('\n');
}
