// Pure parts of the rolling upgrade scenario (issue 12): the order VictoriaMetrics documents for a
// cluster upgrade, the release a binary reports on /metrics, the steps and gate timings of an
// ansible-playbook upgrade.yml run (its ansible.posix.jsonl output), and the report. No I/O: the
// zx driver scripts/verify/upgrade.ts runs the playbook and the probe load and hands the numbers here.

/**
 * The order of upgrade.yml: VictoriaMetrics' "No downtime strategy" (Cluster-VictoriaMetrics.md,
 * "Updating / reconfiguring cluster nodes") restarts vmstorage, then vminsert, then vmselect, one
 * node at a time; vmagent (vmutils) goes last, as scrapers do in site.yml.
 */
export const upgradeOrder = ['vmstorage', 'vminsert', 'vmselect', 'vmagent'] as const;
export type UpgradeComponent = (typeof upgradeOrder)[number];

/** Every host in the order upgrade.yml takes them: by component, then as the group lists them. */
export function upgradePlan(hostsByGroup: Readonly<Record<string, readonly string[]>>): { component: UpgradeComponent; host: string }[] {
  return upgradeOrder.flatMap((component) => (hostsByGroup[component] ?? []).map((host) => ({ component, host })));
}

/**
 * The release a running VictoriaMetrics binary reports: `vm_app_version{version, short_version}`
 * (lib/appmetrics), short_version `v1.150.0-cluster` or `v1.150.0`. Returns `1.150.0`, or '' when
 * the text has no such line (the service did not answer).
 */
export function appVersion(metricsText: string): string {
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith('vm_app_version{')) continue;
    const match = /short_version="v(\d+\.\d+\.\d+)/.exec(line);
    if (match) return match[1]!;
  }
  return '';
}

/** `X.Y.Z` release numbers, compared numerically. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// upgrade.yml's run, read from the ansible.posix.jsonl stdout callback (one JSON event per line).

export interface AnsibleEvent {
  _event: string;
  _timestamp?: string;
  play?: { name?: string };
  task?: { name?: string; duration?: { start?: string; end?: string } };
  hosts?: Record<string, { msg?: unknown; failed?: boolean; unreachable?: boolean; skipped?: boolean; censored?: string; results?: { failed?: boolean; msg?: unknown }[] }>;
}

/** The JSON events of a jsonl output; other lines (warnings on stdout) are skipped. */
export function parseJsonlEvents(text: string): AnsibleEvent[] {
  const events: AnsibleEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const value = JSON.parse(line) as AnsibleEvent;
      if (typeof value._event === 'string') events.push(value);
    } catch {
      // not an event
    }
  }
  return events;
}

export interface TaskRun {
  component: string;
  host: string;
  task: string;
  startMs: number;
  endMs: number;
  status: 'ok' | 'failed' | 'skipped' | 'unreachable';
  message: string;
}

const resultEvents: Record<string, TaskRun['status']> = {
  v2_runner_on_ok: 'ok',
  v2_runner_on_failed: 'failed',
  v2_runner_on_skipped: 'skipped',
  v2_runner_on_unreachable: 'unreachable',
};

/** The component a play of upgrade.yml upgrades, from its name ("Upgrade vmstorage, one node at a time"). */
export function playComponent(playName: string): string | undefined {
  return /^Upgrade (\w+), one node at a time$/.exec(playName)?.[1];
}

/** A task's own name: the jsonl callback prefixes tasks of a role with `<role> : `. */
export function taskName(name: string): string {
  return name.replace(/^[\w.-]+ : /, '');
}

/** One result per host and task of the upgrade plays, in order. */
export function taskRuns(events: readonly AnsibleEvent[]): TaskRun[] {
  const runs: TaskRun[] = [];
  let component: string | undefined;
  for (const event of events) {
    if (event._event === 'v2_playbook_on_play_start') component = playComponent(event.play?.name ?? '');
    const status = resultEvents[event._event];
    if (!status || !component || !event.hosts) continue;
    const startMs = Date.parse(event.task?.duration?.start ?? event._timestamp ?? '');
    const endMs = Date.parse(event.task?.duration?.end ?? event._timestamp ?? '');
    for (const [host, result] of Object.entries(event.hosts)) {
      // A loop task's own message is generic ("One or more items failed"): the failed items say why.
      const itemMessages = (result.results ?? []).filter((item) => item.failed && typeof item.msg === 'string').map((item) => item.msg as string);
      const msg = itemMessages.length ? itemMessages.join('; ') : result.msg;
      runs.push({
        component,
        host,
        task: taskName(event.task?.name ?? ''),
        startMs,
        endMs: Number.isFinite(endMs) ? endMs : startMs,
        status: event._event === 'v2_runner_on_failed' && result.failed === false ? 'ok' : status,
        message: typeof msg === 'string' ? msg : msg === undefined ? '' : JSON.stringify(msg),
      });
    }
  }
  return runs;
}

export interface UpgradeStep {
  component: string;
  host: string;
  /** false: the host already ran the release, upgrade.yml left it alone. */
  upgraded: boolean;
  /** from -> to as upgrade.yml announced it ("vmstorage 1.149.0 -> 1.150.0"). */
  change: string;
  /** Gate before the host went down: the cluster whole. */
  gate_before_seconds: number;
  /** The component's role (install, configure, restart, /health wait). */
  upgrade_seconds: number;
  /** Gates after: the host active, healthy and on the release, the cluster whole again. */
  gate_after_seconds: number;
  total_seconds: number;
  /** The task that failed and its message, when this step stopped the run. */
  failed?: { task: string; message: string };
}

const seconds = (ms: number): number => Math.round(ms / 100) / 10;
const isGate = (task: string): boolean => task.startsWith('Gate, ');

/**
 * The steps of an upgrade.yml run, one per host reached, with the time of each phase. Tasks of a
 * step in order: the version read, "Say what changes" (only when the host is upgraded), the gate
 * tasks before ("Gate, ..."), the role's tasks and the restart, then the gate tasks after.
 */
export function upgradeSteps(runs: readonly TaskRun[]): UpgradeStep[] {
  const keys: string[] = [];
  const byHost = new Map<string, TaskRun[]>();
  for (const run of runs) {
    const key = `${run.component}/${run.host}`;
    if (!byHost.has(key)) {
      byHost.set(key, []);
      keys.push(key);
    }
    byHost.get(key)!.push(run);
  }
  return keys.map((key) => {
    const tasks = byHost.get(key)!;
    const first = tasks[0]!;
    const announce = tasks.find((t) => t.task === 'Say what changes');
    const failedTask = tasks.find((t) => t.status === 'failed' || t.status === 'unreachable');
    const startMs = Math.min(...tasks.map((t) => t.startMs));
    const endMs = Math.max(...tasks.map((t) => t.endMs));
    const step: UpgradeStep = {
      component: first.component,
      host: first.host,
      upgraded: announce !== undefined,
      change: announce ? announce.message.replace(/^[^:]*: /, '') : '',
      gate_before_seconds: 0,
      upgrade_seconds: 0,
      gate_after_seconds: 0,
      total_seconds: seconds(endMs - startMs),
      ...(failedTask ? { failed: { task: failedTask.task, message: failedTask.message } } : {}),
    };
    if (!announce) return step;
    const after = tasks.slice(tasks.indexOf(announce) + 1);
    const roleIndex = after.findIndex((t) => !isGate(t.task));
    const gatesBefore = roleIndex === -1 ? after : after.slice(0, roleIndex);
    const rest = roleIndex === -1 ? [] : after.slice(roleIndex);
    const postIndex = rest.findIndex((t) => isGate(t.task));
    const role = postIndex === -1 ? rest : rest.slice(0, postIndex);
    const gatesAfter = postIndex === -1 ? [] : rest.slice(postIndex);
    const span = (list: readonly TaskRun[]): number =>
      list.length ? seconds(Math.max(...list.map((t) => t.endMs)) - Math.min(...list.map((t) => t.startMs))) : 0;
    return { ...step, gate_before_seconds: span(gatesBefore), upgrade_seconds: span(role), gate_after_seconds: span(gatesAfter) };
  });
}

// ---------------------------------------------------------------------------------------------
// The report.

export interface HostVersions {
  host: string;
  component: string;
  before: string;
  after: string;
}

export interface GateFailureDemo {
  from: string;
  to: string;
  /** What was done to make a gate fail. */
  fault: string;
  /** Exit code of upgrade.yml with the fault in place (must not be 0). */
  exit_code: number;
  /** The step that stopped the run and why. */
  stopped_at: string;
  /** Hosts on the new release and on the old one when the run stopped. */
  upgraded_hosts: string[];
  old_hosts: string[];
  /** The re-run after the fault was undone finished the upgrade. */
  resumed: boolean;
}

export interface UpgradeReport {
  from: string;
  to: string;
  /** The rolling downgrade that put the lab on `from` first (upgrade.yml with the older vmha_version). */
  prepare_seconds: number;
  upgrade_seconds: number;
  playbook_exit_code: number;
  samples_written: number;
  samples_read_back: number;
  samples_lost: number;
  reads: number;
  failed_reads: number;
  partial_reads: number;
  scraped_samples_lost: number;
  failed_read_details: string[];
  steps: UpgradeStep[];
  hosts: HostVersions[];
}

/** What makes the scenario fail; empty when it passes. */
export function validateUpgradeReport(report: UpgradeReport): string[] {
  const problems: string[] = [];
  if (report.playbook_exit_code !== 0) problems.push(`upgrade.yml exited ${report.playbook_exit_code}`);
  if (report.samples_written === 0) problems.push('no probe sample was acknowledged: nothing was measured');
  if (report.samples_lost !== 0) problems.push(`${report.samples_lost} acknowledged probe samples not read back`);
  if (report.reads === 0) problems.push('no read was made: nothing was measured');
  if (report.failed_reads !== 0) problems.push(`${report.failed_reads} reads through the read DNS name failed`);
  if (report.partial_reads !== 0) problems.push(`${report.partial_reads} reads answered isPartial`);
  if (report.scraped_samples_lost !== 0) problems.push(`${report.scraped_samples_lost} scraped samples lost (empty dedup windows)`);
  for (const host of report.hosts) {
    if (host.before !== report.from) problems.push(`${host.host} ran ${host.before || 'nothing'} before the upgrade, not ${report.from}`);
    if (host.after !== report.to) problems.push(`${host.host} runs ${host.after || 'nothing'} after the upgrade, not ${report.to}`);
  }
  const upgraded = report.steps.filter((s) => s.upgraded).length;
  if (upgraded !== report.hosts.length) problems.push(`${upgraded} hosts upgraded by upgrade.yml, ${report.hosts.length} expected`);
  for (const step of report.steps) if (step.failed) problems.push(`${step.host}: ${step.failed.task}: ${step.failed.message}`);
  return problems;
}

export function renderUpgradeJson(report: UpgradeReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export function renderUpgradeMarkdown(report: UpgradeReport, context: string): string {
  const lines = [
    `# Rolling upgrade ${report.from} -> ${report.to}`,
    '',
    context,
    '',
    '| what | measured |',
    '|---|---|',
    `| upgrade duration (upgrade.yml, ${report.steps.filter((s) => s.upgraded).length} hosts) | **${report.upgrade_seconds} s** |`,
    `| acknowledged probe samples lost | **${report.samples_lost}** of ${report.samples_written} (read back ${report.samples_read_back}, nocache=1) |`,
    `| failed reads through the read DNS name | **${report.failed_reads}** of ${report.reads} (partial answers: ${report.partial_reads}) |`,
    `| scraped samples lost (empty 1-interval dedup windows of every node_exporter up) | ${report.scraped_samples_lost} |`,
    `| rolling downgrade to ${report.from} first (same playbook) | ${report.prepare_seconds} s |`,
    '',
    '## Steps, in the order upgrade.yml took them',
    '',
    '| component | host | change | gate before (s) | role + restart (s) | gates after (s) | total (s) |',
    '|---|---|---|---|---|---|---|',
    ...report.steps.map(
      (s) =>
        `| ${s.component} | ${s.host} | ${s.upgraded ? s.change : 'already on the release'} | ${s.gate_before_seconds} | ${s.upgrade_seconds} | ${s.gate_after_seconds} | ${s.total_seconds} |` +
        (s.failed ? ` FAILED ${s.failed.task}: ${s.failed.message}` : ''),
    ),
    '',
    '## Versions each binary reported on /metrics (vm_app_version)',
    '',
    '| host | component | before | after |',
    '|---|---|---|---|',
    ...report.hosts.map((h) => `| ${h.host} | ${h.component} | ${h.before || '-'} | ${h.after || '-'} |`),
  ];
  if (report.failed_read_details.length) lines.push('', 'First failed reads: ' + report.failed_read_details.join(' | '));
  return `${lines.join('\n')}\n`;
}

/** What makes the gate failure demonstration fail; empty when a gate stopped the run as it must. */
export function validateGateFailure(demo: GateFailureDemo): string[] {
  const problems: string[] = [];
  if (demo.exit_code === 0) problems.push('upgrade.yml succeeded with the fault in place');
  if (!demo.stopped_at) problems.push('no step of upgrade.yml failed');
  if (demo.upgraded_hosts.length === 0) problems.push('no host was upgraded before the gate failed (the fault came too early to show the stop)');
  if (demo.old_hosts.length === 0) problems.push('no host was left on the old release');
  if (!demo.resumed) problems.push('the re-run after the fault was undone did not finish the upgrade');
  return problems;
}

export function renderGateFailureMarkdown(demo: GateFailureDemo, context: string): string {
  return [
    `# Rolling upgrade ${demo.from} -> ${demo.to}: a failing gate stops the run`,
    '',
    context,
    '',
    `Fault: ${demo.fault}. upgrade.yml exited ${demo.exit_code}; it stopped at: ${demo.stopped_at || '(no failed step)'}.`,
    '',
    `- on ${demo.to} when it stopped: ${demo.upgraded_hosts.join(', ') || 'none'}`,
    `- left on ${demo.from}: ${demo.old_hosts.join(', ') || 'none'}`,
    `- the fault undone, upgrade.yml run again: ${demo.resumed ? 'it finished the upgrade (hosts already on the release were skipped)' : 'it did NOT finish'}`,
    '',
  ].join('\n');
}
