// Pure parts of the deploy benchmark (issue #15): reading ansible-playbook output (the PLAY RECAP,
// the handler results of the default callback), judging rolling restarts, and rendering the report.
// No I/O here: scripts/bench-deploy.ts runs the lab and the playbooks and hands their output over.
import { stripVTControlCharacters } from 'node:util';

/** One host line of a PLAY RECAP. */
export interface HostRecap {
  host: string;
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

/** A restart (a `changed:` result of a "Restart <service>" handler) or a health confirmation
 * (an `ok:` result of a "Wait for <service>" handler), in output order. */
export interface RestartEvent {
  kind: 'restart' | 'healthy';
  service: string;
  host: string;
}

export interface Verdict {
  name: string;
  value: string;
  target: string;
  ok: boolean;
}

export type TaskCounts = { min: number; median: number; max: number; total: number; hosts: number };

/** One lab size: lab up, a cold site.yml, and a no-change re-run. */
export interface SizeResult {
  hosts: number;
  lab_up_seconds: number;
  cold_playbook_seconds: number;
  /** The median of the no-change re-runs (rerun_samples): one run of a few seconds moves with what else the machine does. */
  rerun_seconds: number;
  /** Every no-change re-run's seconds, in order (older reports have none). */
  rerun_samples?: number[];
  /** Number of hosts with changed > 0 on the cold run. */
  cold_changed_hosts: number;
  /** Hosts that reported changes on any no-change re-run (must be empty: idempotence). */
  rerun_changed_hosts: string[];
  cold_tasks: TaskCounts;
  rerun_tasks: TaskCounts;
  /** Hosts that went through a deploy play on any no-change re-run (role deploy_record lets current hosts skip them). */
  rerun_deployed_hosts: string[];
  /** The same re-run with VMHA_CONVERGE_ALL=true: every role on every host (what the record saves). */
  converge_all_seconds: number;
  converge_all_changed_hosts: string[];
  converge_all_tasks: TaskCounts;
}

/** One setting edited (the retention) and site.yml re-run. */
export interface SettingChangeResult {
  setting: string;
  from: string;
  to: string;
  seconds: number;
  changed_hosts: string[];
  restarted_services: string[];
  /** Hosts in the order of their first restart. */
  restarted_hosts: string[];
  rolling_problems: string[];
  tasks: TaskCounts;
}

export interface DeployBench {
  date: string;
  cores: number;
  /** What was deployed (the whole stack, or which roles were skipped and why). */
  scope: string;
  /** How Ansible reached the lab hosts, e.g. 'ssh (pipelining, ControlPersist)'. */
  connection: string;
  sizes: SizeResult[];
  setting_change?: SettingChangeResult;
  /** cold_playbook_seconds: issue #15's "cold `site.yml` <= 120 s" (the lab's own start is reported beside it). */
  targets: { cold_playbook_seconds: number; rerun_seconds: number; rerun_growth_at_largest: number };
}

/** The output's lines without terminal escapes (colours, cursor moves); carriage returns split too. */
function plainLines(output: string): string[] {
  return stripVTControlCharacters(output).split(/\r?\n|\r/);
}

const RECAP_KEYS = ['ok', 'changed', 'unreachable', 'failed', 'skipped', 'rescued', 'ignored'] as const;
const RECAP_HOST_LINE = /^(\S+)\s*:\s*(ok=\d+(?:\s+[a-z_]+=\d+)*)\s*$/;
const RECAP_CONTINUATION = /^\s*([a-z_]+=\d+(?:\s+[a-z_]+=\d+)*)\s*$/;

function assignCounts(record: HostRecap, pairs: string): void {
  for (const [, key, value] of pairs.matchAll(/([a-z_]+)=(\d+)/g)) {
    if ((RECAP_KEYS as readonly string[]).includes(key ?? '')) record[key as (typeof RECAP_KEYS)[number]] = Number(value);
  }
}

/**
 * Every host line of the LAST 'PLAY RECAP' block of ansible-playbook output, colour codes
 * stripped first. Counters missing from a line (older callbacks) are 0. A line made only of
 * counters (`skipped=5 rescued=0 ignored=0`) continues the host line above it: some callbacks and
 * narrow terminals wrap the recap. The block ends at the first other non-blank line (e.g.
 * profile_tasks' timing line). No recap: [].
 */
export function parseRecap(output: string): HostRecap[] {
  const lines = plainLines(output);
  let start = -1;
  lines.forEach((line, index) => {
    if (line.startsWith('PLAY RECAP')) start = index;
  });
  if (start < 0) return [];
  const hosts: HostRecap[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') continue;
    const host = RECAP_HOST_LINE.exec(line);
    if (host?.[1] && host[2]) {
      const record: HostRecap = { host: host[1], ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
      assignCounts(record, host[2]);
      hosts.push(record);
      continue;
    }
    const continuation = RECAP_CONTINUATION.exec(line);
    const last = hosts.at(-1);
    if (continuation?.[1] && last) {
      assignCounts(last, continuation[1]);
      continue;
    }
    break;
  }
  return hosts;
}

/** Hosts with changed > 0 in the last PLAY RECAP, in recap order. */
export function changedHosts(output: string): string[] {
  return parseRecap(output)
    .filter((host) => host.changed > 0)
    .map((host) => host.host);
}

/** Task results of one host: ok + failed + skipped + rescued + unreachable.
 * Not added: `changed` and `ignored`. ansible-core (plugins/strategy) counts every changed
 * result and every ignored failure in `ok` as well. A rescued failure is counted only in
 * `rescued` (neither in ok nor in failed), and an unreachable result only in `unreachable`, so
 * both are added. Includes (include_role/include_tasks) are in none of the counters. */
export function tasksOfHost(host: HostRecap): number {
  return host.ok + host.failed + host.skipped + host.rescued + host.unreachable;
}

/** The middle value (the mean of the two middle ones for an even count); 0 for none. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** Tasks run per host (see tasksOfHost): min, median (mean of the two middle ones for an even
 * number of hosts), max, the total over hosts, and the number of hosts. No hosts: all 0. */
export function taskCounts(recap: HostRecap[]): TaskCounts {
  const counts = recap.map(tasksOfHost).sort((a, b) => a - b);
  if (counts.length === 0) return { min: 0, median: 0, max: 0, total: 0, hosts: 0 };
  return {
    min: counts[0] ?? 0,
    median: median(counts),
    max: counts.at(-1) ?? 0,
    total: counts.reduce((sum, count) => sum + count, 0),
    hosts: counts.length,
  };
}

// Banners end a handler's results; 'TASK path:' (verbose) is not one.
const BANNER = /^(?:(?:RUNNING HANDLER|TASK|PLAY) \[|PLAY RECAP\b|PLAY\s*\**\s*$)/;
const HANDLER_BANNER = /^RUNNING HANDLER \[(.*)\]/;
const RESULT_LINE = /^(changed|ok): \[([^\]]+)\]/;

/** The handler's service and kind from its banner name: '[vmha_service : Restart vmstorage]'
 * gives restart of vmstorage, 'Wait for vmstorage' a health wait. Other handlers (Reload ...): null. */
function handlerOf(banner: string): { kind: 'restart' | 'wait'; service: string } | null {
  const name = banner.replace(/\]\s*\[CHECK MODE$/, '');
  const task = name.includes(' : ') ? name.slice(name.lastIndexOf(' : ') + 3) : name;
  const match = /^(Restart|Wait for)\s+(.+?)\s*$/.exec(task.trim());
  if (!match?.[1] || !match[2]) return null;
  return { kind: match[1] === 'Restart' ? 'restart' : 'wait', service: match[2] };
}

/**
 * Restarts and health confirmations in the output of a playbook run with the default callback,
 * in output order. Under a 'RUNNING HANDLER [... Restart <service>]' banner every `changed:`
 * result is a restart (`ok:`/`skipping:` are not: nothing restarted); under a
 * 'RUNNING HANDLER [... Wait for <service>]' banner every `ok:` result is 'healthy'. A host
 * counts once per handler banner (loop items print one line each); a delegated label
 * '[vmstorage-1 -> localhost]' counts for vmstorage-1. Any other banner (TASK, PLAY, another
 * handler) ends the block; colour codes, profile_tasks timing lines, 'TASK path:' lines and
 * 'FAILED - RETRYING' lines are ignored.
 */
export function restartEvents(output: string): RestartEvent[] {
  const events: RestartEvent[] = [];
  let handler: { kind: 'restart' | 'wait'; service: string } | null = null;
  let seen = new Set<string>();
  for (const line of plainLines(output)) {
    if (BANNER.test(line)) {
      const banner = HANDLER_BANNER.exec(line);
      handler = banner?.[1] !== undefined ? handlerOf(banner[1]) : null;
      seen = new Set();
      continue;
    }
    if (!handler) continue;
    const result = RESULT_LINE.exec(line);
    if (!result?.[1] || !result[2]) continue;
    const host = result[2].split(' -> ')[0]?.trim() ?? '';
    if (seen.has(host)) continue;
    if (handler.kind === 'restart' && result[1] === 'changed') {
      events.push({ kind: 'restart', service: handler.service, host });
      seen.add(host);
    } else if (handler.kind === 'wait' && result[1] === 'ok') {
      events.push({ kind: 'healthy', service: handler.service, host });
      seen.add(host);
    }
  }
  return events;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/**
 * Rolling check per service: after a host of a service restarts, that host is seen healthy
 * before any other host of the same service restarts. Problems, in output order:
 * - '<host> restarted while <other> was not yet healthy again (<service>)';
 * - '<host> restarted and was not seen healthy again (<service>)' for a restart with no
 *   'healthy' after it by the end of the run (a restart nobody waited for is not a checked
 *   rolling restart).
 * restartedServices / restartedHosts: each once, in the order of their first restart.
 */
export function rollingVerdict(events: RestartEvent[]): { restartedServices: string[]; restartedHosts: string[]; problems: string[] } {
  const problems: string[] = [];
  const notHealthy = new Map<string, string[]>();
  for (const event of events) {
    const pending = notHealthy.get(event.service) ?? [];
    if (event.kind === 'restart') {
      for (const other of pending) {
        if (other !== event.host) problems.push(`${event.host} restarted while ${other} was not yet healthy again (${event.service})`);
      }
      if (!pending.includes(event.host)) pending.push(event.host);
      notHealthy.set(event.service, pending);
    } else {
      notHealthy.set(
        event.service,
        pending.filter((host) => host !== event.host),
      );
    }
  }
  for (const [service, hosts] of notHealthy) {
    for (const host of hosts) problems.push(`${host} restarted and was not seen healthy again (${service})`);
  }
  const restarts = events.filter((event) => event.kind === 'restart');
  return {
    restartedServices: unique(restarts.map((event) => event.service)),
    restartedHosts: unique(restarts.map((event) => event.host)),
    problems,
  };
}

function bySize(sizes: SizeResult[]): SizeResult[] {
  return [...sizes].sort((a, b) => a.hosts - b.hosts);
}

/** Cold deploy of a size: lab up plus the cold site.yml. */
export function coldDeploySeconds(size: SizeResult): number {
  return size.lab_up_seconds + size.cold_playbook_seconds;
}

const s = (seconds: number) => seconds.toFixed(1);

/**
 * Verdicts of issue #15, in this order:
 * - cold site.yml of the smallest size <= targets.cold_playbook_seconds (lab up + site.yml shown beside it);
 * - no-change re-run of the smallest size <= targets.rerun_seconds;
 * - no-change re-run changes no host, at every size;
 * - setting change restarts only vmstorage (restarted services exactly ['vmstorage']);
 * - setting change is rolling (no rolling problem);
 * - growth: re-run of the largest size / re-run of the smallest <= targets.rerun_growth_at_largest.
 * What was not measured (no sizes, no setting change, a single size for the growth) is a
 * verdict with value 'not measured' and ok false.
 */
export function benchVerdicts(bench: DeployBench): Verdict[] {
  const sizes = bySize(bench.sizes);
  const smallest = sizes[0];
  const largest = sizes.at(-1);
  const { targets } = bench;
  const verdicts: Verdict[] = [];
  const notMeasured = (name: string, target: string): Verdict => ({ name, value: 'not measured', target, ok: false });

  const coldName = `cold site.yml${smallest ? `, ${smallest.hosts} hosts` : ''}`;
  const coldTarget = `<= ${targets.cold_playbook_seconds} s`;
  if (smallest) {
    const cold = smallest.cold_playbook_seconds;
    verdicts.push({
      name: coldName,
      value: `${s(cold)} s (with lab up: ${s(coldDeploySeconds(smallest))} s)`,
      target: coldTarget,
      ok: cold <= targets.cold_playbook_seconds,
    });
  } else verdicts.push(notMeasured(coldName, coldTarget));

  const rerunName = `no-change re-run${smallest ? `, ${smallest.hosts} hosts` : ''}`;
  const rerunTarget = `<= ${targets.rerun_seconds} s`;
  if (smallest) {
    verdicts.push({ name: rerunName, value: `${s(smallest.rerun_seconds)} s`, target: rerunTarget, ok: smallest.rerun_seconds <= targets.rerun_seconds });
  } else verdicts.push(notMeasured(rerunName, rerunTarget));

  const idempotentName = 'no-change re-run changes no host (every size)';
  if (sizes.length > 0) {
    // both re-runs: the plain one, and the one through every role
    const changedAt = (size: SizeResult) => [...new Set([...size.rerun_changed_hosts, ...size.converge_all_changed_hosts])];
    const changed = sizes.filter((size) => changedAt(size).length > 0);
    verdicts.push({
      name: idempotentName,
      value:
        changed.length === 0
          ? `changed=0 at ${sizes.map((size) => size.hosts).join(', ')} hosts, plain and every role`
          : changed.map((size) => `${size.hosts} hosts: ${changedAt(size).join(', ')}`).join('; '),
      target: 'changed=0 on every host',
      ok: changed.length === 0,
    });
  } else verdicts.push(notMeasured(idempotentName, 'changed=0 on every host'));

  const change = bench.setting_change;
  const onlyName = `${change?.setting ?? 'setting'} change restarts only the vmstorages`;
  const rollingName = `${change?.setting ?? 'setting'} change restarts one host at a time`;
  if (change) {
    const only = change.restarted_services.length === 1 && change.restarted_services[0] === 'vmstorage';
    verdicts.push({
      name: onlyName,
      value: change.restarted_services.length === 0 ? 'nothing restarted' : `restarted: ${change.restarted_services.join(', ')}`,
      target: 'restarted: vmstorage',
      ok: only,
    });
    verdicts.push({
      name: rollingName,
      value: change.rolling_problems.length === 0 ? 'rolling' : `${change.rolling_problems.length} problem(s): ${change.rolling_problems.join('; ')}`,
      target: 'each host healthy before the next restarts',
      ok: change.rolling_problems.length === 0,
    });
  } else {
    verdicts.push(notMeasured(onlyName, 'restarted: vmstorage'));
    verdicts.push(notMeasured(rollingName, 'each host healthy before the next restarts'));
  }

  const growthName = 're-run growth, largest size / smallest size';
  const growthTarget = `<= ${targets.rerun_growth_at_largest}x`;
  if (smallest && largest && largest.hosts > smallest.hosts && smallest.rerun_seconds > 0) {
    const ratio = largest.rerun_seconds / smallest.rerun_seconds;
    verdicts.push({
      name: growthName,
      value: `${ratio.toFixed(2)}x (${largest.hosts} hosts ${s(largest.rerun_seconds)} s / ${smallest.hosts} hosts ${s(smallest.rerun_seconds)} s)`,
      target: growthTarget,
      ok: ratio <= targets.rerun_growth_at_largest,
    });
  } else verdicts.push(notMeasured(growthName, growthTarget));
  return verdicts;
}

/** Cost per added host between consecutive sizes (sorted by hosts; equal sizes skipped):
 * (seconds(b) - seconds(a)) / (hosts(b) - hosts(a)), for the cold deploy (lab up + site.yml)
 * and for the no-change re-run. */
export function costPerAddedHost(sizes: SizeResult[]): { from: number; to: number; cold_seconds_per_host: number; rerun_seconds_per_host: number }[] {
  const sorted = bySize(sizes);
  const costs: { from: number; to: number; cold_seconds_per_host: number; rerun_seconds_per_host: number }[] = [];
  for (let index = 1; index < sorted.length; index++) {
    const a = sorted[index - 1];
    const b = sorted[index];
    if (!a || !b || b.hosts === a.hosts) continue;
    const added = b.hosts - a.hosts;
    costs.push({
      from: a.hosts,
      to: b.hosts,
      cold_seconds_per_host: (coldDeploySeconds(b) - coldDeploySeconds(a)) / added,
      rerun_seconds_per_host: (b.rerun_seconds - a.rerun_seconds) / added,
    });
  }
  return costs;
}

/** A count as an integer, or with one decimal where it is not one (an even median). */
/** The re-run's median, with the range and count of the runs it is the median of. */
function rerunCell(size: SizeResult): string {
  const samples = size.rerun_samples ?? [];
  if (samples.length < 2) return s(size.rerun_seconds);
  return `${s(size.rerun_seconds)} (${s(Math.min(...samples))} to ${s(Math.max(...samples))}, ${samples.length} runs)`;
}

const n = (count: number) => (Number.isInteger(count) ? String(count) : count.toFixed(1));

/** Markdown report of the benchmark. Seconds with one decimal; seconds per added host with two
 * (a fraction of a second per host is the interesting part). */
export function renderDeployBench(bench: DeployBench): string {
  const sizes = bySize(bench.sizes);
  const lines = [
    '# Deploy benchmark',
    '',
    `${bench.date}, ${bench.cores} cores, connection: ${bench.connection}. Scope: ${bench.scope}.`,
    '',
    '## Cold deploy and no-change re-run per size',
    '',
    'The re-run is a plain `site.yml`: hosts exactly as their last complete deploy left them, and healthy, skip the deploy plays and the ' +
      'final health check (role deploy_record); the one task on such a host is the record check, which checks its health too. "Every role" is the same run with `VMHA_CONVERGE_ALL=true`: every role on every host, as before the record.',
    '',
    '| hosts | lab up (s) | site.yml cold (s) | cold deploy (s) | re-run (s, median) | hosts deployed on re-run | re-run, every role (s) | tasks per host, cold (median, max) | tasks per host, re-run (median, max) | tasks per host, every role (median, max) | changed hosts on re-runs |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...sizes.map((size) => {
      const changed = [...new Set([...size.rerun_changed_hosts, ...size.converge_all_changed_hosts])];
      return (
        `| ${size.hosts} | ${s(size.lab_up_seconds)} | ${s(size.cold_playbook_seconds)} | ${s(coldDeploySeconds(size))} | ${rerunCell(size)} | ` +
        `${size.rerun_deployed_hosts.length} | ${s(size.converge_all_seconds)} | ` +
        `${n(size.cold_tasks.median)}, ${n(size.cold_tasks.max)} | ${n(size.rerun_tasks.median)}, ${n(size.rerun_tasks.max)} | ` +
        `${n(size.converge_all_tasks.median)}, ${n(size.converge_all_tasks.max)} | ${changed.length === 0 ? 'none' : changed.join(', ')} |`
      );
    }),
    '',
    '## One-setting change',
    '',
  ];
  const change = bench.setting_change;
  if (!change) lines.push('Not measured.', '');
  else {
    lines.push(
      `\`${change.setting}\` changed from \`${change.from}\` to \`${change.to}\`, then site.yml: ${s(change.seconds)} s ` +
        `(tasks per host: median ${n(change.tasks.median)}, max ${n(change.tasks.max)}).`,
      '',
      `- Hosts changed: ${change.changed_hosts.length === 0 ? 'none' : change.changed_hosts.join(', ')}.`,
      `- Services restarted: ${change.restarted_services.length === 0 ? 'none' : change.restarted_services.join(', ')}.`,
      `- Restart order: ${change.restarted_hosts.length === 0 ? 'none' : change.restarted_hosts.join(' → ')}.`,
      change.rolling_problems.length === 0
        ? '- Rolling: yes, each restarted host was healthy again before the next one restarted.'
        : `- Rolling: NO. ${change.rolling_problems.join('; ')}.`,
      '',
    );
  }
  const costs = costPerAddedHost(sizes);
  lines.push('## Cost per added host', '');
  if (costs.length === 0) lines.push('One size measured: no cost per added host.', '');
  else {
    lines.push(
      '| from hosts | to hosts | cold deploy (s per added host) | re-run (s per added host) |',
      '|---|---|---|---|',
      ...costs.map((cost) => `| ${cost.from} | ${cost.to} | ${cost.cold_seconds_per_host.toFixed(2)} | ${cost.rerun_seconds_per_host.toFixed(2)} |`),
      '',
    );
  }
  lines.push(
    '## Verdicts',
    '',
    '| check | measured | target | verdict |',
    '|---|---|---|---|',
    ...benchVerdicts(bench).map((v) => `| ${v.name} | ${v.value} | ${v.target} | ${v.ok ? 'within target' : 'OVER target'} |`),
    '',
  );
  return lines.join('\n');
}
