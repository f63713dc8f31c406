// Verify part `alerting` (issue #12 item 2): the HA alerting pair on a running lab, witnessed by a
// real webhook receiver (scripts/lab-witness/alert-witness.py, installed here on the witness host).
//   1. the witness answers; both vmalerts are healthy with vmha's rules loaded; the alertmanagers
//      form one cluster; a recording rule written through the write path reads back through the
//      read path (nocache=1);
//   2. healthy window (--healthy-seconds, default 300): no notification reaches the witness and no
//      alert is firing on either vmalert at its end;
//   3. fault (--host, default vmstorage-1): `systemctl stop vmstorage`; exactly one firing
//      notification for ComponentDown of that host within 120 s, nothing else; start it again;
//      exactly one resolved notification within 120 s, then a quiet period with nothing more.
// Changes the lab (run under `flock /tmp/vmha-lab.lock`); vmstorage is started again in every case.
// --phase healthy|fault|all (default all). Report: reports/alerting.md and reports/alerting.json.
// The healthy window changes nothing itself: it may overlap with verify parts that do not stop,
// restart or overload anything (edge, data-path, access-matrix, dashboards), not with load/failover.
import { readFile, writeFile } from 'node:fs/promises';
import { $, path, sleep } from 'zx';
import { judgeFault, parseWitnessLog, receivedBetween, describeNotification, type FaultVerdict, type WitnessNotification } from '../lib/alert-witness.js';
import { parseCli } from '../lib/cli.js';
import { findHost, hostsInGroup, labAlertWitness, labClusterSettings, labPorts, labReadUrl } from '../lib/lab-topology.js';
import { CheckRecorder } from './check-recorder.js';
import { copyToHost, http, onHost } from './lab-client.js';
import { labCa, labCredentials } from './lab-credentials.js';

$.verbose = false;
const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const USAGE = 'usage: node --import ./scripts/register-ts.mjs scripts/verify/alerting.ts [--phase healthy|fault|all] [--healthy-seconds 300] [--host vmstorage-1]';
const { values } = parseCli('alerting', USAGE, {
  options: {
    phase: { type: 'string', default: 'all' },
    'healthy-seconds': { type: 'string', default: '300' },
    host: { type: 'string', default: 'vmstorage-1' },
    help: { type: 'boolean', short: 'h' },
  },
});
const phase = values.phase;
const healthySeconds = Number(values['healthy-seconds']);
if (!['healthy', 'fault', 'all'].includes(phase) || !(healthySeconds >= 0)) {
  console.error(USAGE);
  process.exit(2);
}
const target = findHost(values.host);
if (!target.groups.includes('vmstorage')) throw new Error(`--host ${target.name} is not a vmstorage host`);

const FIRING_WITHIN = 120;
const RESOLVED_WITHIN = 120;
const QUIET_AFTER = 45; // longer than the alertmanagers' peer timeout (15 s) and group_interval (30 s)
const checks = new CheckRecorder();
const witnessHost = findHost(labAlertWitness.host);
const witnessUrl = `http://${witnessHost.address}:${labAlertWitness.port}`;
const alertHosts = hostsInGroup('vmalert');
const now = () => Date.now() / 1000;

async function installWitness(): Promise<void> {
  const dir = path.join(repoRoot, 'scripts/lab-witness');
  await onHost(witnessHost.name, 'mkdir -p /usr/local/lib/vmha-alert-witness');
  await copyToHost(witnessHost.name, path.join(dir, 'alert-witness.py'), '/usr/local/lib/vmha-alert-witness/alert-witness.py');
  await copyToHost(witnessHost.name, path.join(dir, 'vmha-alert-witness.service'), '/etc/systemd/system/vmha-alert-witness.service');
  const started = await onHost(witnessHost.name, 'chmod 0644 /usr/local/lib/vmha-alert-witness/alert-witness.py && systemctl daemon-reload && systemctl enable --now vmha-alert-witness && systemctl try-restart vmha-alert-witness');
  if (started.exitCode !== 0) throw new Error(`installing the alert witness on ${witnessHost.name} failed: ${started.stderr}`);
  for (let i = 0; i < 20; i++) {
    if ((await http(`${witnessUrl}/health`)).status === 200) return;
    await sleep(500);
  }
  throw new Error(`the alert witness at ${witnessUrl} does not answer`);
}

async function notifications(): Promise<WitnessNotification[]> {
  const got = await http(`${witnessUrl}${labAlertWitness.path}`, { timeoutMs: 5000 });
  if (got.status !== 200) throw new Error(`the alert witness answered ${got.status}: ${got.body.slice(0, 200)}`);
  return parseWitnessLog(got.body);
}

async function vmalertJson(host: string, apiPath: string): Promise<unknown> {
  const out = await onHost(host, `curl -s --max-time 5 http://127.0.0.1:${labPorts.vmalert_http}${apiPath}`);
  return JSON.parse(out.stdout || 'null') as unknown;
}

interface AlertsAnswer {
  data?: { alerts?: { name?: string; state?: string; labels?: Record<string, string> }[] };
}
async function activeAlerts(): Promise<string[]> {
  const out: string[] = [];
  for (const h of alertHosts) {
    const answer = (await vmalertJson(h.name, '/api/v1/alerts')) as AlertsAnswer;
    for (const a of answer?.data?.alerts ?? []) out.push(`${h.name}: ${a.state} ${a.name}{host=${a.labels?.host ?? '?'}}`);
  }
  return out;
}

async function preconditions(): Promise<void> {
  await installWitness();
  checks.expect(`the alert witness answers on ${witnessHost.name}:${labAlertWitness.port}`, true);
  for (const h of alertHosts) {
    const health = await onHost(h.name, `curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:${labPorts.vmalert_http}/health`);
    const rules = (await vmalertJson(h.name, '/api/v1/rules')) as { data?: { groups?: { name: string; rules: unknown[] }[] } };
    const count = (rules?.data?.groups ?? []).reduce((n, g) => n + g.rules.length, 0);
    checks.expect(`vmalert on ${h.name} is healthy with vmha's rules loaded`, health.stdout === '200' && count > 10, `health ${health.stdout}, ${count} rules`);
    const status = await onHost(h.name, `curl -s --max-time 5 http://127.0.0.1:${labPorts.alertmanager_http}/api/v2/status`);
    let peers = -1;
    try {
      peers = ((JSON.parse(status.stdout) as { cluster?: { peers?: unknown[] } }).cluster?.peers ?? []).length;
    } catch {
      // reported below
    }
    checks.expect(`alertmanager on ${h.name} sees ${alertHosts.length} cluster members`, peers === alertHosts.length, `peers ${peers}: ${status.stdout.slice(0, 200)}`);
  }
  // vmalert's recording rule, written through the write path, read back through the read path
  const { read } = await labCredentials();
  const ca = await labCa();
  const query = `${labReadUrl()}/api/v1/query?query=${encodeURIComponent('vmha:tls_certificate_expiry_seconds')}&nocache=1`;
  const answer = await http(query, { credentials: read, ca });
  let series = 0;
  try {
    series = ((JSON.parse(answer.body) as { data?: { result?: unknown[] } }).data?.result ?? []).length;
  } catch {
    // reported below
  }
  checks.expect('the recording rule vmha:tls_certificate_expiry_seconds, written by vmalert through the write path, reads back through the read path', series >= 1, `${answer.status}: ${answer.body.slice(0, 300)}`);
}

const report: Record<string, unknown> = { host: target.name, address: target.address, scrape_interval: labClusterSettings.scrape_interval };

/**
 * Before the window: wait (at most 240 s) until neither vmalert has a pending or firing alert, then
 * QUIET_AFTER more seconds, so notifications about something before this run (a resolved one the
 * alertmanagers still owe) are not counted against the healthy lab.
 */
async function settle(): Promise<void> {
  const until = now() + 240;
  let active = await activeAlerts();
  while (active.length > 0 && now() < until) {
    await sleep(5000);
    active = await activeAlerts();
  }
  report.settle_active_alerts = active;
  checks.expect('no alert is pending or firing on either vmalert before the healthy window', active.length === 0, active.join('; '));
  await sleep(QUIET_AFTER * 1000);
}

async function healthyWindow(): Promise<void> {
  await settle();
  const from = now();
  console.log(`healthy window: ${healthySeconds} s without faults, watching ${witnessUrl}`);
  const deadline = from + healthySeconds;
  while (now() < deadline) await sleep(Math.min(15_000, Math.max(0, (deadline - now()) * 1000)));
  const got = receivedBetween(await notifications(), from);
  const firing = (await activeAlerts()).filter((a) => /firing/.test(a));
  report.healthy = { seconds: healthySeconds, notifications: got.length, firing_at_end: firing };
  checks.expect(`no notification reached the witness in ${healthySeconds} s of a healthy lab`, got.length === 0, got.map((n) => describeNotification(n, from)).join('; '));
  checks.expect('no alert is firing on either vmalert at the end of the healthy window', firing.length === 0, firing.join('; '));
}

async function fault(): Promise<void> {
  let verdict: FaultVerdict | undefined;
  const stoppedAt = now();
  let startedAt = stoppedAt;
  try {
    const stop = await onHost(target.name, 'systemctl stop vmstorage');
    if (stop.exitCode !== 0) throw new Error(`systemctl stop vmstorage on ${target.name}: ${stop.stderr}`);
    console.log(`stopped vmstorage on ${target.name} (${target.address}); waiting for the firing notification`);
    const about = (n: WitnessNotification, status: string) => n.status === status && n.alerts.some((a) => a.labels.alertname === 'ComponentDown' && a.labels.host === target.address);
    while (now() - stoppedAt < FIRING_WITHIN + 30) {
      if (receivedBetween(await notifications(), stoppedAt).some((n) => about(n, 'firing'))) break;
      await sleep(2000);
    }
    await sleep(QUIET_AFTER * 1000); // a duplicate from the second alertmanager would come within this
  } finally {
    const start = await onHost(target.name, 'systemctl start vmstorage');
    startedAt = now();
    checks.expect(`vmstorage on ${target.name} started again`, start.exitCode === 0, start.stderr);
  }
  console.log(`started vmstorage on ${target.name}; waiting for the resolved notification`);
  const about = (n: WitnessNotification) => n.status === 'resolved' && n.alerts.some((a) => a.labels.alertname === 'ComponentDown' && a.labels.host === target.address);
  while (now() - startedAt < RESOLVED_WITHIN + 30) {
    if (receivedBetween(await notifications(), startedAt).some(about)) break;
    await sleep(2000);
  }
  await sleep(QUIET_AFTER * 1000);
  const endAt = now();
  const all = await notifications();
  verdict = judgeFault(all, { alertname: 'ComponentDown', host: target.address, stoppedAt, startedAt, endAt, firingWithin: FIRING_WITHIN, resolvedWithin: RESOLVED_WITHIN });
  const seen = receivedBetween(all, stoppedAt, endAt).map((n) => describeNotification(n, stoppedAt));
  report.fault = {
    stopped_seconds: Math.round(startedAt - stoppedAt),
    firing_after_stop_s: verdict.firingAfter === undefined ? null : Number(verdict.firingAfter.toFixed(1)),
    resolved_after_start_s: verdict.resolvedAfter === undefined ? null : Number(verdict.resolvedAfter.toFixed(1)),
    firing_notifications: verdict.firingCount,
    resolved_notifications: verdict.resolvedCount,
    other_notifications: verdict.others.length,
    notifications: seen,
  };
  checks.expect(
    `exactly one firing notification for ComponentDown of ${target.name} within ${FIRING_WITHIN} s of the stop`,
    verdict.firingCount === 1 && verdict.firingAfter !== undefined && verdict.firingAfter <= FIRING_WITHIN,
    `${verdict.firingCount} firing, first after ${verdict.firingAfter?.toFixed(1) ?? '-'} s; ${seen.join('; ')}`,
  );
  checks.expect(
    `exactly one resolved notification within ${RESOLVED_WITHIN} s of the start`,
    verdict.resolvedCount === 1 && verdict.resolvedAfter !== undefined && verdict.resolvedAfter <= RESOLVED_WITHIN && verdict.resolvedAfter >= 0,
    `${verdict.resolvedCount} resolved, first after ${verdict.resolvedAfter?.toFixed(1) ?? '-'} s; ${seen.join('; ')}`,
  );
  checks.expect('no other notification while the vmstorage was down or coming back', verdict.others.length === 0, seen.join('; '));
}

await preconditions();
if (phase !== 'fault') await healthyWindow();
if (phase !== 'healthy') await fault();
const ok = checks.report('alerting');
report.checks = checks.results;
report.ok = ok;
// Run as two phases (the default verify overlaps the healthy window with read-only parts), the
// fault phase completes the report the healthy phase started.
const reportJson = path.join(repoRoot, 'reports/alerting.json');
if (phase === 'fault') {
  const earlier = JSON.parse(await readFile(reportJson, 'utf8').catch(() => '{}')) as Record<string, unknown>;
  report.healthy ??= earlier.healthy;
  report.checks = [...((earlier.checks as unknown[] | undefined) ?? []), ...checks.results];
  report.ok = ok && earlier.ok !== false;
}
await writeFile(reportJson, JSON.stringify(report, null, 2) + '\n');
if (phase !== 'healthy') {
  const f = report.fault as Record<string, unknown> | undefined;
  const h = report.healthy as Record<string, unknown> | undefined;
  const md = [
    '# Alerting witness (scripts/verify/alerting.ts)',
    '',
    `Lab: 2 vmalerts (alert-1, alert-2) evaluating vmha's rules every ${labClusterSettings.scrape_interval} through the read load balancers, 2 alertmanagers in one cluster, the witness on ${witnessHost.name}.`,
    '',
    '| what | measured |',
    '|---|---|',
    `| healthy window | ${h?.seconds ?? '-'} s, ${h?.notifications ?? '-'} notifications |`,
    `| vmstorage stopped (${target.name}) | ${f?.stopped_seconds ?? '-'} s |`,
    `| firing notification after the stop | ${f?.firing_after_stop_s ?? '-'} s (bound ${FIRING_WITHIN} s), ${f?.firing_notifications ?? '-'} notification(s) |`,
    `| resolved notification after the start | ${f?.resolved_after_start_s ?? '-'} s (bound ${RESOLVED_WITHIN} s), ${f?.resolved_notifications ?? '-'} notification(s) |`,
    `| other notifications | ${f?.other_notifications ?? '-'} |`,
    '',
    'Notifications received (seconds after the stop):',
    '',
    ...((f?.notifications as string[] | undefined) ?? []).map((n) => `- ${n}`),
    '',
    `Checks: ${(report.checks as { ok: boolean }[]).filter((c) => c.ok).length} passed, ${(report.checks as { ok: boolean }[]).filter((c) => !c.ok).length} failed.`,
    '',
  ].join('\n');
  await writeFile(path.join(repoRoot, 'reports/alerting.md'), md);
}

process.exitCode = ok ? 0 : 1;
