// Pure parts of the failover scenario (issue 5): the fault plan, gap/duplicate finding in
// scraped series, accounting of the synthetic write stream, probe-log arithmetic, the
// VictoriaMetrics import/export formats and the failover report. No I/O: the zx driver under
// scripts/ does the faults, the writes and the queries, and hands the numbers to these helpers.

import { compactNumberArrays, type FaultTimeline } from './failover-timeline.js';

export type ComponentKind = 'vmagent' | 'lb_insert' | 'vminsert' | 'vmstorage' | 'vmselect' | 'lb_select';
/**
 * stop: clean service stop; crash: SIGKILL of the main process (systemd restarts it); freeze: the
 * host hangs (`docker pause`: TCP still accepts, nothing answers); partition: the host is cut off
 * the lab network.
 */
export type FaultKind = 'stop' | 'crash' | 'freeze' | 'partition';
/** Both write load balancers down at once: vmagent must buffer on disk and catch up. */
export type WriteOutageFault = 'both-down';
/** A vmstorage loses its disk and comes back empty. */
export type LostDiskFault = 'lost-disk';

export const componentKinds: readonly ComponentKind[] = ['vmagent', 'lb_insert', 'vminsert', 'vmstorage', 'vmselect', 'lb_select'];
export const faultKinds: readonly FaultKind[] = ['stop', 'crash', 'freeze', 'partition'];

export interface SingleFault {
  component: ComponentKind;
  fault: FaultKind;
  host: string;
  downSeconds: number;
}

export interface WriteOutage {
  component: 'lb_insert';
  fault: WriteOutageFault;
  hosts: string[];
  downSeconds: number;
}

export interface LostDisk {
  component: 'vmstorage';
  fault: LostDiskFault;
  host: string;
  downSeconds: number;
}

export type FaultPlanEntry = SingleFault | WriteOutage | LostDisk;

/** `component/fault`, the name of a plan entry (and of its result) on the command line and in reports. */
export function faultName(entry: { component: string; fault: string }): string {
  return `${entry.component}/${entry.fault}`;
}

/** The hosts a plan entry takes down. */
export function faultHosts(entry: FaultPlanEntry): string[] {
  return 'hosts' in entry ? [...entry.hosts] : [entry.host];
}

export interface FaultPlanOptions {
  /** Floor for how long an instance stays down, whatever the scrape interval. */
  minDownSeconds?: number;
  /** How long both write load balancers stay down (the issue asks for one minute). */
  writeOutageSeconds?: number;
  /** Time the driver spends per fault besides the outage itself (recovery wait, checks). */
  overheadSecondsPerFault?: number;
  /** Bounds: the plan is refused rather than letting a CI run grow without limit. */
  maxTotalSeconds: number;
  maxFaults: number;
}

/** The host a fault targets: first by name, so the plan does not depend on inventory order. */
function firstHost(hostsByGroup: Readonly<Record<string, readonly string[]>>, group: ComponentKind): string {
  const host = [...(hostsByGroup[group] ?? [])].sort()[0];
  if (host === undefined) throw new Error(`fault plan: group '${group}' has no hosts`);
  return host;
}

function assertPositive(what: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${what} must be a positive number, got ${value}`);
}

/** Every component kind x every fault kind on one instance, then the full write-path outage and the lost disk. */
export function faultPlan(
  hostsByGroup: Readonly<Record<string, readonly string[]>>,
  scrapeIntervalSeconds: number,
  opts: FaultPlanOptions,
): FaultPlanEntry[] {
  assertPositive('fault plan: scrape interval', scrapeIntervalSeconds);
  const downSeconds = Math.max(3 * scrapeIntervalSeconds, opts.minDownSeconds ?? 0);
  const plan: FaultPlanEntry[] = [];
  for (const component of componentKinds) {
    const host = firstHost(hostsByGroup, component);
    for (const fault of faultKinds) plan.push({ component, fault, host, downSeconds });
  }
  const writeBalancers = [...(hostsByGroup.lb_insert ?? [])].sort();
  if (writeBalancers.length < 2) {
    throw new Error(`fault plan: the write outage needs at least 2 lb_insert hosts, got ${writeBalancers.length}`);
  }
  plan.push({ component: 'lb_insert', fault: 'both-down', hosts: writeBalancers, downSeconds: opts.writeOutageSeconds ?? 60 });
  plan.push({ component: 'vmstorage', fault: 'lost-disk', host: firstHost(hostsByGroup, 'vmstorage'), downSeconds });

  if (plan.length > opts.maxFaults) {
    throw new Error(`fault plan: ${plan.length} faults exceed the limit of ${opts.maxFaults}`);
  }
  const totalSeconds = plan.reduce((sum, entry) => sum + entry.downSeconds + (opts.overheadSecondsPerFault ?? 0), 0);
  if (totalSeconds > opts.maxTotalSeconds) {
    throw new Error(`fault plan: ${totalSeconds} s of faults exceed the limit of ${opts.maxTotalSeconds} s`);
  }
  return plan;
}

/**
 * The fixed subset CI runs on every change (the whole matrix is `npm run failover`): one fault of
 * each kind, the gray failures the design had to fix (frozen vmstorage, frozen read balancer),
 * the crash that can lose acknowledged writes (vminsert) and the two compound faults.
 */
export const ciFaultSubset: readonly string[] = [
  'vmagent/stop',
  'lb_insert/partition',
  'vminsert/crash',
  'vmstorage/freeze',
  'vmselect/crash',
  'lb_select/freeze',
  'lb_insert/both-down',
  'vmstorage/lost-disk',
];

/** The plan entries named (`component/fault`), in plan order; unknown names are an error. */
export function selectFaults(plan: readonly FaultPlanEntry[], names: readonly string[]): FaultPlanEntry[] {
  const known = new Set(plan.map(faultName));
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length) throw new Error(`unknown fault ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  const wanted = new Set(names);
  return plan.filter((entry) => wanted.has(faultName(entry)));
}

/** Scrapes missed inside the gaps of a series: a gap of n intervals hides n - 1 scrapes. */
export function missedScrapes(gaps: readonly Gap[], intervalSeconds: number): number {
  assertPositive('missed scrapes: interval', intervalSeconds);
  return gaps.reduce((sum, gap) => sum + Math.max(0, Math.round(gap.seconds / intervalSeconds) - 1), 0);
}

/**
 * Missed scrapes of a deduplicated series: dedup windows (k*interval - interval, k*interval] that
 * hold no sample, counted over the windows lying wholly inside [fromMs, toMs]. After deduplication
 * a healthy series has exactly one sample per window, whichever vmagent replica scraped it, so an
 * empty window is a scrape that no replica got into storage. Non-finite values (staleness markers)
 * are not samples.
 */
export function emptyDedupWindows(
  samples: readonly { ts: number; value: number }[],
  intervalSeconds: number,
  fromMs: number,
  toMs: number,
): number[] {
  assertPositive('dedup windows: interval', intervalSeconds);
  const intervalMs = intervalSeconds * 1000;
  const filled = new Set(samples.filter((s) => Number.isFinite(s.value)).map((s) => Math.ceil(s.ts / intervalMs) * intervalMs));
  const empty: number[] = [];
  const firstEnd = Math.ceil(fromMs / intervalMs) * intervalMs + intervalMs;
  if ((toMs - firstEnd) / intervalMs > maxStreamSamples) throw new Error('dedup windows: range too long');
  for (let end = firstEnd; end <= toMs; end += intervalMs) if (!filled.has(end)) empty.push(end);
  return empty;
}

/** Addresses a hosts file (/etc/hosts syntax) gives for `name`, in file order, without repeats. */
export function hostsFileAddresses(text: string, name: string): string[] {
  const addresses: string[] = [];
  for (const raw of text.split('\n')) {
    const [address, ...names] = raw.replace(/#.*/, '').trim().split(/\s+/);
    if (address && names.includes(name) && !addresses.includes(address)) addresses.push(address);
  }
  return addresses;
}

/**
 * The order a client tries the addresses of a name in for its n-th request: round robin over the
 * records, then every other address as a retry (what a client with several A records does).
 */
export function addressOrder(addresses: readonly string[], requestNumber: number): string[] {
  if (addresses.length === 0) return [];
  const start = ((requestNumber % addresses.length) + addresses.length) % addresses.length;
  return [...addresses.slice(start), ...addresses.slice(0, start)];
}

/** Fresh results replace earlier results of the same fault; the others are kept (runs in chunks). */
export function mergeResults(earlier: readonly FaultResult[], fresh: readonly FaultResult[]): FaultResult[] {
  const replaced = new Set(fresh.map(faultName));
  return [...earlier.filter((result) => !replaced.has(faultName(result))), ...fresh].sort(compareResults);
}

function sortedUnique(timestampsMs: readonly number[]): number[] {
  for (const ts of timestampsMs) if (!Number.isFinite(ts)) throw new Error(`timestamp ${ts} is not a finite number`);
  return [...new Set(timestampsMs)].sort((a, b) => a - b);
}

export interface Gap {
  fromMs: number;
  toMs: number;
  seconds: number;
}

/** Gaps between consecutive samples longer than factor x interval (a missed scrape). */
export function findGaps(timestampsMs: readonly number[], intervalSeconds: number, factor = 1.5): Gap[] {
  assertPositive('gap finding: interval', intervalSeconds);
  assertPositive('gap finding: factor', factor);
  const limitMs = factor * intervalSeconds * 1000;
  const sorted = sortedUnique(timestampsMs);
  const gaps: Gap[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const fromMs = sorted[i - 1]!;
    const toMs = sorted[i]!;
    if (toMs - fromMs > limitMs) gaps.push({ fromMs, toMs, seconds: (toMs - fromMs) / 1000 });
  }
  return gaps;
}

export interface DuplicateWindow {
  /** VictoriaMetrics dedup windows are (end - interval, end], end a multiple of the interval. */
  windowEndMs: number;
  timestampsMs: number[];
}

/**
 * Samples that deduplication should have merged: more than one sample in the same dedup window.
 * Windows are aligned the way VictoriaMetrics aligns them (lib/storage/dedup.go keeps the last
 * sample of each (k*interval - interval, k*interval] window), so two samples a few ms apart on
 * either side of a window edge are legitimate (it happens when one of two vmagents with
 * different scrape phases stops) and are not reported. Repeated identical timestamps are.
 */
export function findDuplicates(timestampsMs: readonly number[], intervalSeconds: number): DuplicateWindow[] {
  assertPositive('duplicate finding: dedup interval', intervalSeconds);
  const intervalMs = intervalSeconds * 1000;
  const byWindow = new Map<number, number[]>();
  for (const ts of [...timestampsMs].sort((a, b) => a - b)) {
    if (!Number.isFinite(ts)) throw new Error(`timestamp ${ts} is not a finite number`);
    const windowEndMs = Math.ceil(ts / intervalMs) * intervalMs;
    byWindow.set(windowEndMs, [...(byWindow.get(windowEndMs) ?? []), ts]);
  }
  return [...byWindow]
    .filter(([, samples]) => samples.length > 1)
    .map(([windowEndMs, samples]) => ({ windowEndMs, timestampsMs: samples }));
}

/** Hard cap on a generated stream, so a unit mix-up (s vs ms) fails fast instead of eating memory. */
const maxStreamSamples = 1_000_000;

/** Timestamps the synthetic writer produces: start, start + step, ... strictly before end. */
export function expectedSamples(startMs: number, endMs: number, stepMs: number): number[] {
  assertPositive('synthetic stream: step', stepMs);
  if (!Number.isInteger(startMs) || !Number.isInteger(endMs) || !Number.isInteger(stepMs)) {
    throw new Error(`synthetic stream: start, end and step must be whole milliseconds, got ${startMs}, ${endMs}, ${stepMs}`);
  }
  const count = Math.max(0, Math.ceil((endMs - startMs) / stepMs));
  if (count > maxStreamSamples) throw new Error(`synthetic stream: ${count} samples exceed the limit of ${maxStreamSamples}`);
  return Array.from({ length: count }, (_, i) => startMs + i * stepMs);
}

export interface LossCount {
  expected: number;
  /** Distinct timestamps read back. */
  observed: number;
  lost: number;
  /** The first lost timestamps, ascending (at most `listLimit`). */
  lostTimestamps: number[];
  /** Timestamps read back that were never written. */
  unexpected: number;
  /** Extra copies of a timestamp read back more than once (dedup should leave none). */
  duplicated: number;
}

export function countLost(expectedTimestamps: readonly number[], observedTimestamps: readonly number[], listLimit = 1000): LossCount {
  const expected = sortedUnique(expectedTimestamps);
  const observed = new Set(sortedUnique(observedTimestamps));
  const expectedSet = new Set(expected);
  const lost = expected.filter((ts) => !observed.has(ts));
  return {
    expected: expected.length,
    observed: observed.size,
    lost: lost.length,
    lostTimestamps: lost.slice(0, listLimit),
    unexpected: [...observed].filter((ts) => !expectedSet.has(ts)).length,
    duplicated: observedTimestamps.length - observed.size,
  };
}

export interface LossWindow {
  fromMs: number;
  toMs: number;
  samples: number;
}

/** Runs of consecutive lost samples (one step apart) merged into windows. */
export function lossWindows(lostTimestamps: readonly number[], stepMs: number): LossWindow[] {
  assertPositive('loss windows: step', stepMs);
  const windows: LossWindow[] = [];
  for (const ts of sortedUnique(lostTimestamps)) {
    const last = windows.at(-1);
    if (last && ts - last.toMs <= stepMs) {
      last.toMs = ts;
      last.samples++;
    } else {
      windows.push({ fromMs: ts, toMs: ts, samples: 1 });
    }
  }
  return windows;
}

/** "lost 3 samples between <t1> and <t2> (<mechanism>)", for the report's explanation. */
export function describeLossWindow(window: LossWindow, mechanism?: string): string {
  const what = `lost ${window.samples} sample${window.samples === 1 ? '' : 's'}`;
  const when = `between ${new Date(window.fromMs).toISOString()} and ${new Date(window.toMs).toISOString()}`;
  return `${what} ${when}${mechanism ? ` (${mechanism})` : ''}`;
}

export interface Probe {
  atMs: number;
  ok: boolean;
}

/**
 * Seconds the probed path was failing. A failed probe counts until the next probe (a probe that
 * hung until its timeout was failing all that time); the last probe counts one interval.
 */
export function errorSeconds(probes: readonly Probe[], probeIntervalMs: number): number {
  assertPositive('error seconds: probe interval', probeIntervalMs);
  const sorted = [...probes].sort((a, b) => a.atMs - b.atMs);
  let failedMs = 0;
  sorted.forEach((probe, i) => {
    if (probe.ok) return;
    const next = sorted[i + 1];
    failedMs += next ? next.atMs - probe.atMs : probeIntervalMs;
  });
  return failedMs / 1000;
}

/**
 * Seconds from the end of the fault to the first ok probe after which every probe stays ok;
 * 0 when the path had already recovered (failover) before the fault ended. Undefined when the
 * path never recovered or nothing was probed after the fault ended.
 */
export function recoverySeconds(probes: readonly Probe[], faultEndMs: number): number | undefined {
  const sorted = [...probes].sort((a, b) => a.atMs - b.atMs);
  if (!sorted.some((probe) => probe.atMs >= faultEndMs)) return undefined;
  let firstOfOkRun = sorted.length;
  while (firstOfOkRun > 0 && sorted[firstOfOkRun - 1]!.ok) firstOfOkRun--;
  const recovered = sorted[firstOfOkRun];
  if (recovered === undefined) return undefined;
  return Math.max(0, recovered.atMs - faultEndMs) / 1000;
}

const metricNamePattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** Lines for `/api/v1/import/prometheus`: `name{label="value"} value timestampMs`, labels sorted. */
export function syntheticImportLines(
  metric: string,
  labels: Readonly<Record<string, string>>,
  samples: readonly { ts: number; value: number }[],
): string[] {
  if (!metricNamePattern.test(metric)) throw new Error(`import: invalid metric name '${metric}'`);
  const pairs = Object.keys(labels)
    .sort()
    .map((name) => {
      if (!labelNamePattern.test(name) || name.startsWith('__')) throw new Error(`import: invalid label name '${name}'`);
      return `${name}="${escapeLabelValue(labels[name]!)}"`;
    });
  const series = pairs.length ? `${metric}{${pairs.join(',')}}` : metric;
  return samples.map(({ ts, value }) => {
    if (!Number.isSafeInteger(ts)) throw new Error(`import: timestamp ${ts} is not whole milliseconds`);
    return `${series} ${formatSampleValue(value)} ${ts}`;
  });
}

export interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

/** Parses `/api/v1/export` JSON lines (one series per line); `null` values (NaN) become NaN. */
export function parseExportLines(text: string, source = 'export'): ExportedSeries[] {
  const series: ExportedSeries[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const fail = (problem: string): never => {
      throw new Error(`${source} line ${index + 1}: ${problem}`);
    };
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      fail(`not JSON (${(error as Error).message})`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fail('not a JSON object');
    const { metric, values, timestamps } = parsed as Record<string, unknown>;
    if (typeof metric !== 'object' || metric === null || Array.isArray(metric)) return fail("'metric' is not an object");
    if (!Object.values(metric).every((value) => typeof value === 'string')) fail("'metric' has a non-string label value");
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'number' || v === null)) {
      return fail("'values' is not an array of numbers");
    }
    if (!Array.isArray(timestamps) || !timestamps.every((ts) => Number.isSafeInteger(ts))) {
      return fail("'timestamps' is not an array of whole milliseconds");
    }
    if (values.length !== timestamps.length) {
      fail(`${values.length} values but ${timestamps.length} timestamps`);
    }
    series.push({
      metric: metric as Record<string, string>,
      values: values.map((v: number | null) => (v === null ? NaN : v)),
      timestamps: timestamps as number[],
    });
  });
  return series;
}

export interface FaultResult {
  component: ComponentKind;
  fault: FaultKind | WriteOutageFault | LostDiskFault;
  /** Missed scrapes in the deduplicated node_exporter series. */
  samples_lost: number;
  /** Synthetic stream samples acknowledged but not read back. */
  direct_writes_lost: number;
  write_error_seconds: number;
  read_error_seconds: number;
  /** Reads that answered with isPartial true (an incomplete answer flagged as such). */
  partial_reads: number;
  recovery_seconds: number;
  /** Mechanism behind any loss, e.g. "vminsert crash: in-memory buffer, ~200 ms flush". */
  explanation?: string;
  /** Per-second probes and per-dedup-window samples around the fault (optional; plotted by scripts/failover-plots.ts). */
  timeline?: FaultTimeline;
}

const faultOrder: readonly (FaultKind | WriteOutageFault | LostDiskFault)[] = [...faultKinds, 'both-down', 'lost-disk'];

function compareResults(a: FaultResult, b: FaultResult): number {
  return componentKinds.indexOf(a.component) - componentKinds.indexOf(b.component) || faultOrder.indexOf(a.fault) - faultOrder.indexOf(b.fault);
}

/** Millisecond precision: keeps float noise (0.30000000000000004) out of the report. */
const roundSeconds = (seconds: number): number => Math.round(seconds * 1000) / 1000;

/** reports/failover.json: entries in plan order, keys in a fixed order, trailing newline. */
export function renderFailoverJson(results: readonly FaultResult[]): string {
  const entries = [...results].sort(compareResults).map((result) => ({
    component: result.component,
    fault: result.fault,
    samples_lost: result.samples_lost,
    direct_writes_lost: result.direct_writes_lost,
    write_error_seconds: roundSeconds(result.write_error_seconds),
    read_error_seconds: roundSeconds(result.read_error_seconds),
    partial_reads: result.partial_reads,
    recovery_seconds: roundSeconds(result.recovery_seconds),
    ...(result.explanation ? { explanation: result.explanation } : {}),
    ...(result.timeline ? { timeline: result.timeline } : {}),
  }));
  return `${compactNumberArrays(JSON.stringify(entries, null, 2))}\n`;
}

const isUnexplained = (result: FaultResult): boolean => result.direct_writes_lost !== 0 && !result.explanation?.trim();

/** The same entries as a markdown table; unexplained direct-write losses are flagged. */
export function renderFailoverMarkdown(results: readonly FaultResult[]): string {
  const lines = [
    '| component | fault | samples lost | direct writes lost | write errors (s) | read errors (s) | partial reads | recovery (s) | explanation |',
    '|---|---|--:|--:|--:|--:|--:|--:|---|',
  ];
  for (const result of [...results].sort(compareResults)) {
    const explanation = isUnexplained(result) ? '**UNEXPLAINED**' : (result.explanation ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
    const [write, read, recovery] = [result.write_error_seconds, result.read_error_seconds, result.recovery_seconds].map((s) => s.toFixed(1));
    lines.push(
      `| ${result.component} | ${result.fault} | ${result.samples_lost} | ${result.direct_writes_lost} | ${write} | ${read} | ${result.partial_reads} | ${recovery} | ${explanation} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The read outage a single-instance fault may cost at most (the issue's bound). */
export const maxReadErrorSecondsPerFault = 5;

/** What keeps the report from proving the issue's claim; empty when it holds. */
export function validateFailoverReport(results: readonly FaultResult[], plan: readonly FaultPlanEntry[]): string[] {
  const problems: string[] = [];
  const key = faultName;
  const seen = new Map<string, number>();
  for (const result of results) seen.set(key(result), (seen.get(key(result)) ?? 0) + 1);
  const planned = new Set(plan.map(key));
  for (const entry of planned) if (!seen.has(entry)) problems.push(`${entry}: planned fault has no result`);
  for (const [entry, count] of seen) {
    if (!planned.has(entry)) problems.push(`${entry}: result for a fault that is not in the plan`);
    if (count > 1) problems.push(`${entry}: ${count} results for one fault`);
  }
  for (const result of results) {
    const numbers = [
      result.samples_lost,
      result.direct_writes_lost,
      result.write_error_seconds,
      result.read_error_seconds,
      result.partial_reads,
      result.recovery_seconds,
    ];
    if (!numbers.every((n) => Number.isFinite(n) && n >= 0)) problems.push(`${key(result)}: a count or duration is negative or not a number`);
    if (result.samples_lost !== 0) problems.push(`${key(result)}: ${result.samples_lost} scraped samples lost`);
    if (isUnexplained(result)) problems.push(`${key(result)}: ${result.direct_writes_lost} direct writes lost without an explanation`);
    if (result.read_error_seconds > maxReadErrorSecondsPerFault) {
      problems.push(`${key(result)}: reads failed for ${roundSeconds(result.read_error_seconds)} s (at most ${maxReadErrorSecondsPerFault} s)`);
    }
    if (result.partial_reads !== 0) problems.push(`${key(result)}: ${result.partial_reads} reads answered with isPartial true`);
  }
  return problems;
}
