// Pure parts of the restore drill (scripts/verify/restore.ts): the per-node counts, the verdict,
// vmbackup/vmrestore log lines and the report. No I/O.

/** Series and samples of a fixed past window, counted on one vmstorage (nocache=1). */
export interface WindowCount {
  series: number;
  samples: number;
}

export interface NodeCounts {
  /** every series with a sample in the window */
  all: WindowCount;
  /** the drill's own probe series, written before the backup */
  probe: WindowCount;
}

/** PromQL of the counts over `[window]` evaluated at the window's end. */
export function countQueries(selector: string, windowSeconds: number): { series: string; samples: string } {
  if (!Number.isInteger(windowSeconds) || windowSeconds <= 0) throw new Error(`restore-drill: window must be a whole number of seconds, got ${windowSeconds}`);
  return {
    series: `count(count_over_time(${selector}[${windowSeconds}s]))`,
    samples: `sum(count_over_time(${selector}[${windowSeconds}s]))`,
  };
}

/**
 * The single number of an instant query answer (`/api/v1/query`); an empty result is 0.
 * Throws on an error answer, a partial answer or more than one series.
 */
export function scalarAnswer(body: string): number {
  let parsed: { status?: string; isPartial?: boolean; data?: { resultType?: string; result?: { value?: [number, string] }[] }; error?: string };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    throw new Error(`not a JSON query answer: ${body.slice(0, 200)}`);
  }
  if (parsed.status !== 'success') throw new Error(`query failed: ${parsed.error ?? body.slice(0, 200)}`);
  if (parsed.isPartial === true) throw new Error('partial answer');
  const result = parsed.data?.result ?? [];
  if (result.length === 0) return 0;
  if (result.length > 1) throw new Error(`expected one series, got ${result.length}`);
  const value = Number(result[0]?.value?.[1]);
  if (!Number.isFinite(value)) throw new Error(`not a number: ${JSON.stringify(result[0])}`);
  return value;
}

export interface DrillVerdict {
  ok: boolean;
  problems: string[];
}

/** Passes when both counts match exactly and there was something to count. */
export function compareCounts(before: NodeCounts, after: NodeCounts, expectedProbe: WindowCount): DrillVerdict {
  const problems: string[] = [];
  if (before.all.series === 0 || before.all.samples === 0) problems.push('the node held no data in the window before the backup: nothing was checked');
  if (before.probe.series !== expectedProbe.series || before.probe.samples !== expectedProbe.samples) {
    problems.push(`before the backup the node held ${before.probe.series} probe series / ${before.probe.samples} samples, expected ${expectedProbe.series} / ${expectedProbe.samples}`);
  }
  for (const part of ['all', 'probe'] as const) {
    for (const what of ['series', 'samples'] as const) {
      if (before[part][what] !== after[part][what]) {
        problems.push(`${part} ${what}: ${before[part][what]} before, ${after[part][what]} after the restore (${after[part][what] - before[part][what]})`);
      }
    }
  }
  return { ok: problems.length === 0, problems };
}

/**
 * Which probe series a vmstorage holds: vminsert spreads series over the nodes by hash, each on
 * `replicationFactor` consecutive nodes, so the expectation is taken from the node itself and
 * only has to be plausible: at least one series, each with all of its samples.
 */
export function probeExpectation(seriesOnNode: number, samplesPerSeries: number): WindowCount {
  return { series: seriesOnNode, samples: seriesOnNode * samplesPerSeries };
}

/** Bytes and seconds from vmbackup's final log line (`backed up N bytes in X seconds`, and the copy variants). */
export function parseBackupLog(text: string): { bytes: number; seconds: number; uploadedBytes?: number; copiedBytes?: number } | undefined {
  // lib/backup/actions backup.go and copy.go of VictoriaMetrics 1.150.0
  const done = [...text.matchAll(/(?:backup from .* to .* with origin .*|remote backup copy from .* to .*) is complete; backed up (\d+) bytes in ([\d.]+) seconds; server-side deleted \d+ bytes; server-side copied (\d+) bytes(?:; uploaded (\d+) bytes)?/g)].at(-1);
  if (!done) return undefined;
  const out: { bytes: number; seconds: number; uploadedBytes?: number; copiedBytes?: number } = { bytes: Number(done[1]), seconds: Number(done[2]) };
  if (done[3] !== undefined) out.copiedBytes = Number(done[3]);
  if (done[4] !== undefined) out.uploadedBytes = Number(done[4]);
  return out;
}

/** Bytes and seconds from vmrestore's final log line (`restored N bytes from backup in X seconds`). */
export function parseRestoreLog(text: string): { bytes: number; seconds: number } | undefined {
  const done = [...text.matchAll(/restored (\d+) bytes from backup in ([\d.]+) seconds/g)].at(-1);
  return done ? { bytes: Number(done[1]), seconds: Number(done[2]) } : undefined;
}

export interface DrillReport {
  date: string;
  node: string;
  destination: string;
  window: { start: string; end: string };
  before: NodeCounts;
  after: NodeCounts;
  otherNodes: Record<string, NodeCounts>;
  backup: { seconds: number; bytes?: number; uploadedBytes?: number; log?: string };
  fullCopy: { seconds: number; bytes?: number; copiedBytes?: number; uploadedBytes?: number };
  restore: { playbookSeconds: number; vmrestoreSeconds?: number; bytes?: number };
  verdict: DrillVerdict;
}

const n = (value: number | undefined): string => (value === undefined ? '?' : value.toLocaleString('en-US'));

export function renderReport(r: DrillReport): string {
  const row = (label: string, c: NodeCounts) => `| ${label} | ${n(c.all.series)} | ${n(c.all.samples)} | ${n(c.probe.series)} | ${n(c.probe.samples)} |`;
  return [
    '# Restore drill',
    '',
    `Written by \`scripts/verify/restore.ts\` (Molecule scenario \`restore\`) on ${r.date}. **${r.verdict.ok ? 'PASSED' : 'FAILED'}**.`,
    '',
    `${r.node} was backed up by its own \`vmbackup.service\` (the unit its timer runs) to \`${r.destination}\`, its container was`,
    'removed and created again empty, and `ansible/restore.yml` restored it (vmrestore before vmstorage started), then',
    'deployed it like site.yml. Counts are taken on that node alone: a temporary vmselect on a vmselect host\'s loopback',
    'port with `-storageNode` set to this one vmstorage, `nocache=1`, so the other replica cannot hide a loss.',
    `Window: ${r.window.start} to ${r.window.end} (fixed, before the backup).`,
    '',
    '| counted on the node | all series | all samples | probe series | probe samples |',
    '|---|---:|---:|---:|---:|',
    row(`${r.node} before the backup`, r.before),
    row(`${r.node} after the restore`, r.after),
    ...Object.entries(r.otherNodes).map(([name, c]) => row(`${name} (other node, for comparison)`, c)),
    '',
    '| step | measured |',
    '|---|---|',
    `| incremental backup (vmbackup.service) | ${r.backup.seconds.toFixed(1)} s, ${n(r.backup.bytes)} bytes backed up${r.backup.uploadedBytes !== undefined ? `, ${n(r.backup.uploadedBytes)} uploaded` : ''} |`,
    `| daily full copy (vmbackup-full.service: incremental run, then server-side copy) | ${r.fullCopy.seconds.toFixed(1)} s, ${n(r.fullCopy.copiedBytes)} bytes copied server-side${r.fullCopy.uploadedBytes === undefined ? ' (the copy uploads nothing)' : `, ${n(r.fullCopy.uploadedBytes)} uploaded`} |`,
    `| restore.yml (vmrestore, then the host deployed and checked healthy) | ${r.restore.playbookSeconds.toFixed(1)} s; vmrestore ${r.restore.vmrestoreSeconds === undefined ? '?' : `${r.restore.vmrestoreSeconds.toFixed(1)} s`}, ${n(r.restore.bytes)} bytes |`,
    '',
    r.verdict.ok ? 'Every count matches.' : `Problems:\n${r.verdict.problems.map((p) => `- ${p}`).join('\n')}`,
    '',
  ].join('\n');
}
