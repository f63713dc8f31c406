// Pure logic of the load check (scripts/verify/load.ts): unit state before/after, crash markers
// in journals, the flags a running VictoriaMetrics process was started with, admin API answers
// (snapshots, force merge), Prometheus text metrics, export statistics, the verdict on a query
// over -search.maxUniqueTimeseries, and the report. No I/O.
import type { ExportedSeries } from './failover.js';

/** The `systemctl show` properties the check compares. */
export const unitStateProperties = ['Id', 'NRestarts', 'InvocationID', 'ActiveState', 'SubState', 'ActiveEnterTimestamp', 'MainPID'] as const;

export interface UnitState {
  host: string;
  unit: string;
  nRestarts: number;
  invocationId: string;
  activeState: string;
  subState: string;
  activeEnter: string;
  mainPid: number;
}

/** `systemctl show -p A,B u1 u2`: one block of key=value lines per unit, blank line between. */
export function parseSystemctlShow(text: string): Record<string, string>[] {
  const blocks: Record<string, string>[] = [];
  let current: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (Object.keys(current).length > 0) blocks.push(current);
      current = {};
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`systemctl show: unexpected line '${line}'`);
    current[line.slice(0, eq)] = line.slice(eq + 1);
  }
  if (Object.keys(current).length > 0) blocks.push(current);
  return blocks;
}

export function unitStates(host: string, showOutput: string): UnitState[] {
  return parseSystemctlShow(showOutput).map((props) => {
    const unit = props.Id;
    if (!unit) throw new Error(`${host}: systemctl show block without Id`);
    const nRestarts = /^\d+$/.test(props.NRestarts ?? '') ? Number(props.NRestarts) : NaN;
    if (!Number.isInteger(nRestarts)) throw new Error(`${host} ${unit}: NRestarts '${props.NRestarts}' is not a number`);
    return {
      host,
      unit,
      nRestarts,
      invocationId: props.InvocationID ?? '',
      activeState: props.ActiveState ?? '',
      subState: props.SubState ?? '',
      activeEnter: props.ActiveEnterTimestamp ?? '',
      mainPid: Number(props.MainPID ?? 0),
    };
  });
}

export const unitKey = (host: string, unit: string) => `${host}/${unit}`;

/**
 * What changed between the unit states before and after the check, as problems: a unit that is
 * not active (or whose process is gone), an NRestarts that grew (systemd restarted the unit
 * after it died; the check's own `systemctl restart` does not count there, and a manual start
 * resets the counter), a unit the check restarted that was not started anew, and a unit the
 * check did not restart that was (InvocationID changed).
 */
export function compareUnitStates(before: readonly UnitState[], after: readonly UnitState[], restartedByCheck: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const afterByKey = new Map(after.map((s) => [unitKey(s.host, s.unit), s]));
  for (const was of before) {
    const key = unitKey(was.host, was.unit);
    const now = afterByKey.get(key);
    if (!now) {
      problems.push(`${key}: missing after the check`);
      continue;
    }
    const oneshotDone = now.activeState === 'active' && now.subState === 'exited';
    if (now.activeState !== 'active' || (!oneshotDone && now.subState !== 'running')) {
      problems.push(`${key}: ${now.activeState}/${now.subState} after the check`);
    }
    if (now.nRestarts > was.nRestarts) {
      problems.push(`${key}: NRestarts went from ${was.nRestarts} to ${now.nRestarts} during the check: systemd restarted it after it died`);
    }
    const startedAnew = now.invocationId !== was.invocationId;
    if (restartedByCheck.has(key) && !startedAnew) problems.push(`${key}: restarted by the check but still the same invocation`);
    if (!restartedByCheck.has(key) && startedAnew) {
      problems.push(`${key}: started anew (active since ${now.activeEnter}, was ${was.activeEnter}) though the check did not restart it`);
    }
  }
  for (const key of restartedByCheck) {
    if (!before.some((s) => unitKey(s.host, s.unit) === key)) problems.push(`${key}: restarted by the check but not in the before snapshot`);
  }
  return problems;
}

/**
 * Journal lines that show a crash: VictoriaMetrics' FATAL and panic, Go runtime `fatal error`,
 * a core dump, a kill by signal or the OOM killer, and systemd's "Failed with result".
 */
export function crashLines(journal: string): string[] {
  const markers = [
    /\bFATAL\b/,
    /\bpanic\b/i,
    /\bfatal error:/,
    /\bcode=(killed|dumped)\b/,
    /OOM killer|oom-kill/i,
    /Failed with result/,
  ];
  return journal.split('\n').filter((line) => markers.some((marker) => marker.test(line)));
}

/** Journal lines where a system call was refused (a sandbox that is too tight, even when the process survived). */
export function deniedSyscallLines(journal: string): string[] {
  return journal.split('\n').filter((line) => /operation not permitted|EPERM|permission denied/i.test(line));
}

/**
 * The flags of a running VictoriaMetrics process from /proc/<pid>/cmdline (NUL-separated) or
 * one argument per line: `-name=value`, `--name=value`, `-name value`, or bare `-name` (true).
 * A repeated flag keeps every value.
 */
export function parseCmdlineFlags(cmdline: string): Map<string, string[]> {
  const args = cmdline.split(/\0|\n/).filter((a) => a !== '');
  const flags = new Map<string, string[]>();
  const add = (name: string, value: string) => flags.set(name, [...(flags.get(name) ?? []), value]);
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    const m = /^--?([A-Za-z0-9_.-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) continue;
    if (m[2] !== undefined) add(m[1]!, m[2]);
    else if (args[i + 1] !== undefined && !args[i + 1]!.startsWith('-')) add(m[1]!, args[++i]!);
    else add(m[1]!, 'true');
  }
  return flags;
}

export function flagValue(flags: ReadonlyMap<string, string[]>, name: string): string | undefined {
  const values = flags.get(name);
  return values?.[values.length - 1];
}

/** A VictoriaMetrics flag value read from a file (`file:///abs/path`): the path, else undefined. */
export function flagFilePath(value: string): string | undefined {
  const m = /^file:\/\/(\/.+)$/.exec(value);
  return m ? m[1] : undefined;
}

/** How to authenticate to an admin route: its own authKey flag wins over -httpAuth.* (VictoriaMetrics' CheckAuthFlag). */
export type AdminAuth = { kind: 'none' } | { kind: 'authKey'; key: string } | { kind: 'basic'; username: string; password: string };

/** `values` holds the flag values with `file://` references already read. */
export function adminAuth(values: ReadonlyMap<string, string>, keyFlag: string): AdminAuth {
  const key = values.get(keyFlag);
  if (key) return { kind: 'authKey', key };
  const username = values.get('httpAuth.username');
  if (username) return { kind: 'basic', username, password: values.get('httpAuth.password') ?? '' };
  return { kind: 'none' };
}

/** Appends `authKey` to a URL when the route needs it. */
export function withAuth(url: string, auth: AdminAuth): string {
  if (auth.kind !== 'authKey') return url;
  return `${url}${url.includes('?') ? '&' : '?'}authKey=${encodeURIComponent(auth.key)}`;
}

/** Shell-quotes one argument for `sh -c`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** curl options for an admin route (basic auth as `-u`), to put before the URL. */
export function curlAuthArgs(auth: AdminAuth): string {
  return auth.kind === 'basic' ? `-u ${shellQuote(`${auth.username}:${auth.password}`)}` : '';
}

interface StatusAnswer {
  status?: unknown;
  snapshot?: unknown;
  snapshots?: unknown;
  msg?: unknown;
}

function parseAnswer(body: string, what: string): StatusAnswer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error(`${what}: not JSON: ${body.slice(0, 200)}`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`${what}: not a JSON object: ${body.slice(0, 200)}`);
  const answer = parsed as StatusAnswer;
  if (answer.status !== 'ok') throw new Error(`${what}: status ${JSON.stringify(answer.status)}: ${body.slice(0, 200)}`);
  return answer;
}

/** `/snapshot/create` answer: the snapshot's name. */
export function parseSnapshotCreate(body: string): string {
  const answer = parseAnswer(body, 'snapshot create');
  if (typeof answer.snapshot !== 'string' || !/^[0-9A-Za-z_-]+$/.test(answer.snapshot)) {
    throw new Error(`snapshot create: no usable snapshot name in ${body.slice(0, 200)}`);
  }
  return answer.snapshot;
}

/** `/snapshot/list` answer: the snapshot names. */
export function parseSnapshotList(body: string): string[] {
  const answer = parseAnswer(body, 'snapshot list');
  if (!Array.isArray(answer.snapshots) || !answer.snapshots.every((s) => typeof s === 'string')) {
    throw new Error(`snapshot list: 'snapshots' is not a list of names: ${body.slice(0, 200)}`);
  }
  return answer.snapshots as string[];
}

/** `/snapshot/delete` answer: throws unless status ok. */
export function parseSnapshotDelete(body: string): void {
  parseAnswer(body, 'snapshot delete');
}

/** Partition name prefix (`YYYY_MM`, UTC) of a time, for `/internal/force_merge?partition_prefix=`. */
export function partitionPrefix(timeMs: number): string {
  const d = new Date(timeMs);
  return `${d.getUTCFullYear()}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition (as /metrics serves it) into samples; comments are skipped. */
export function parseMetricsText(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]!] = pair[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** Samples of one metric whose labels include `match`. */
export function metricSamples(samples: readonly MetricSample[], name: string, match: Readonly<Record<string, string>> = {}): MetricSample[] {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

/**
 * Storage nodes a vminsert or vmselect does not see: for every expected address, every sample of
 * `metric` with that `addr` label must be 1 (vminsert: vm_rpc_vmstorage_is_reachable per RPC
 * call; vmselect: vm_tcpdialer_addr_available). Returns the addresses not (all) at 1.
 */
export function unreachableStorageNodes(samples: readonly MetricSample[], metric: string, expectedAddrs: readonly string[]): string[] {
  return expectedAddrs.filter((addr) => {
    const matching = samples.filter((s) => s.name === metric && s.labels.addr === addr);
    return matching.length === 0 || matching.some((s) => s.value !== 1);
  });
}

/** Canonical key of a series: name and labels sorted. */
export function seriesKey(metric: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.keys(metric).sort().map((k) => [k, metric[k]]));
}

export interface ExportStats {
  series: number;
  samples: number;
  names: Set<string>;
  /** Keys exported more than once. */
  duplicateSeries: string[];
  /** Series with more samples than one per dedup interval allows in the window. */
  overfullSeries: { key: string; samples: number }[];
  /** Series without a sample. */
  emptySeries: number;
  /** Series with at least one value that is not NaN (a staleness marker exports as NaN). */
  liveSeries: number;
  /**
   * Names with a series whose newest sample is not NaN: what an instant query's default
   * rollup over the same window sees (a series ending in a staleness marker has ended).
   */
  liveNames: Set<string>;
}

/** What an export of every series holds; `maxSamplesPerSeries` is the dedup bound for its window. */
export function exportStats(series: readonly ExportedSeries[], maxSamplesPerSeries: number): ExportStats {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  const names = new Set<string>();
  const overfull: { key: string; samples: number }[] = [];
  let samples = 0;
  let empty = 0;
  let live = 0;
  const liveNames = new Set<string>();
  for (const s of series) {
    const key = seriesKey(s.metric);
    if (seen.has(key)) duplicates.add(key);
    seen.add(key);
    if (s.metric.__name__ !== undefined) names.add(s.metric.__name__);
    samples += s.timestamps.length;
    if (s.timestamps.length === 0) empty += 1;
    if (s.timestamps.length > maxSamplesPerSeries) overfull.push({ key, samples: s.timestamps.length });
    if (s.values.some((v) => !Number.isNaN(v))) live += 1;
    let newest = -1;
    for (let i = 0; i < s.timestamps.length; i++) if (newest < 0 || s.timestamps[i]! >= s.timestamps[newest]!) newest = i;
    if (newest >= 0 && !Number.isNaN(s.values[newest]!) && s.metric.__name__ !== undefined) liveNames.add(s.metric.__name__);
  }
  return { series: series.length, samples, names, duplicateSeries: [...duplicates], overfullSeries: overfull, emptySeries: empty, liveSeries: live, liveNames };
}

/**
 * One argument of a systemd ExecStart= line: double-quoted, with backslash and quote escaped,
 * `$` doubled (no environment expansion) and `%` doubled (no specifier expansion).
 */
export function systemdQuote(arg: string): string {
  return `"${arg.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '$$$$').replace(/%/g, '%%').replace(/\n/g, '\\n')}"`;
}

/**
 * A drop-in that runs a unit with the same command line plus extra flags: `ExecStart=` reset,
 * then the running process's arguments (from /proc/<pid>/cmdline) with the extra ones appended.
 */
export function execStartDropIn(cmdlineArgs: readonly string[], extraFlags: Readonly<Record<string, string>>, comment: string): string {
  if (cmdlineArgs.length === 0 || !cmdlineArgs[0]!.startsWith('/')) throw new Error('execStartDropIn: the command line must start with an absolute binary path');
  const extraNames = Object.keys(extraFlags);
  const kept = cmdlineArgs.filter((arg) => !extraNames.some((name) => arg === `-${name}` || arg.startsWith(`-${name}=`)));
  const args = [...kept, ...extraNames.map((name) => `-${name}=${extraFlags[name]}`)];
  return `# ${comment}\n[Service]\nExecStart=\nExecStart=${args.map(systemdQuote).join(' ')}\n`;
}

/** A -search.maxUniqueTimeseries low enough that a query over `series` exceeds it on every vmstorage (each holds about rf/n of them). */
export function limitBelow(series: number, storageNodes: number, replicationFactor: number): number {
  if (!(series > 0) || !(storageNodes > 0) || !(replicationFactor > 0)) throw new Error('limitBelow: positive numbers only');
  const perNode = (series * Math.min(replicationFactor, storageNodes)) / storageNodes;
  return Math.max(1, Math.floor(perNode / 4));
}

/**
 * A query over -search.maxUniqueTimeseries must fail cleanly: an HTTP 4xx answer (not a 5xx
 * from a dead vmselect or the balancer's 502, not a timeout) whose error names the limit.
 */
export function limitErrorVerdict(status: number, body: string): { ok: boolean; reason: string } {
  if (status === 200) return { ok: false, reason: `answered 200: the limit was not enforced (${body.slice(0, 160)})` };
  if (status === 0) return { ok: false, reason: `no answer: ${body.slice(0, 200)}` };
  if (status >= 500) return { ok: false, reason: `HTTP ${status}, not a clean rejection: ${body.slice(0, 200)}` };
  if (!/maxUniqueTimeseries|exceeds/.test(body)) return { ok: false, reason: `HTTP ${status} without the limit in its error: ${body.slice(0, 200)}` };
  return { ok: true, reason: `HTTP ${status}: ${body.replace(/\s+/g, ' ').slice(0, 200)}` };
}

export interface LoadStep {
  phase: string;
  name: string;
  ok: boolean;
  seconds: number;
  detail: string;
}

export interface LoadReport {
  startedAt: string;
  totalSeconds: number;
  passed: boolean;
  steps: LoadStep[];
  checks: { name: string; ok: boolean; evidence: string }[];
  measurements: Record<string, number | string>;
}

export function renderLoadJson(report: LoadReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderLoadMarkdown(report: LoadReport): string {
  const failed = report.checks.filter((c) => !c.ok);
  const lines = [
    '# Load check',
    '',
    `Run ${report.startedAt} by \`scripts/verify/load.ts\` on the deployed lab: **${report.passed ? 'passed' : 'FAILED'}**, ` +
      `${report.checks.length - failed.length} of ${report.checks.length} checks passed in ${report.totalSeconds.toFixed(0)} s.`,
    '',
    '| phase | step | result | seconds | detail |',
    '|---|---|---|---:|---|',
    ...report.steps.map(
      (s) => `| ${s.phase} | ${cell(s.name)} | ${s.ok ? 'ok' : '**failed**'} | ${s.seconds.toFixed(1)} | ${cell(s.detail).slice(0, 200)} |`,
    ),
    '',
    '## Measurements',
    '',
    ...Object.entries(report.measurements).map(([k, v]) => `- ${k}: ${v}`),
    '',
  ];
  if (failed.length > 0) {
    lines.push('## Failed checks', '');
    for (const c of failed) lines.push(`- ${c.name}: ${c.evidence.replace(/\n/g, ' ').slice(0, 300)}`);
    lines.push('');
  }
  return lines.join('\n');
}
