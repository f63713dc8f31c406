// Verify step of Molecule scenario `retention` (issue 10), on the deployed seed topology:
// - the inventory's retention is in force on every vmstorage (its -retentionPeriod flag);
// - a sample older than the retention, written through the write DNS name, is counted as rejected
//   (vm_rows_ignored_total{reason="small_timestamp"}) and never returned;
// - samples inside the retention survive a vmstorage restart, a full cluster restart and a no-change
//   site.yml run (counted exactly, nocache=1);
// - a changed retention, applied by re-running site.yml, reaches every vmstorage through a rolling
//   restart (one vmstorage at a time) with no failed read; the original retention is restored the
//   same way afterwards.
// Changes the lab: run it under the lab lock.
import { $, fs, path, sleep } from 'zx';
import { pollUntil } from '../lib/poll.js';
import yaml from 'js-yaml';
import { parseLabSecrets, labInventoryFiles } from '../lib/lab-inventory.js';
import { errorSeconds, parseExportLines, syntheticImportLines } from '../lib/failover.js';
import { hostsInGroup, labPorts } from '../lib/lab-topology.js';
import { CheckRecorder } from './check-recorder.js';
import { onHost } from './lab-client.js';
import { labInventoryDir } from './lab-credentials.js';
import { makeClient, request, type Client } from './dns-client.js';

$.verbose = false;
const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const env = { ...process.env, PATH: `${path.join(repoRoot, '.venv', 'bin')}:${process.env.PATH ?? ''}` };
const log = (message: string): void => console.log(`${new Date().toISOString().slice(11, 19)} ${message}`);
const checks = new CheckRecorder();
const dayMs = 86_400_000;

const settingsFile = path.join(labInventoryDir, labInventoryFiles.settings);
const generatedFile = path.join(labInventoryDir, 'group_vars', 'all', 'zz-generated.yml');
const secretsFile = path.join(labInventoryDir, labInventoryFiles.secrets);
const secrets = parseLabSecrets(await fs.readFile(secretsFile, 'utf8'), secretsFile);
if (!secrets) throw new Error(`${secretsFile}: no usable lab secrets`);
const storages = hostsInGroup('vmstorage');
const client = await makeClient();
const runId = `r${Date.now().toString(36)}`;

/** The retention flag the generated vars give vmstorage (VictoriaMetrics syntax). */
async function generatedRetention(): Promise<string> {
  const generated = yaml.load(await fs.readFile(generatedFile, 'utf8')) as Record<string, unknown>;
  return String(generated.vmstorage_retention_period);
}

async function storageMetrics(host: string): Promise<string> {
  const run = await onHost(host, `curl -sf --max-time 5 'http://127.0.0.1:${labPorts.vmstorage_http}/metrics?authKey=${secrets!.vmha_metrics_auth_key}'`);
  return run.exitCode === 0 ? run.stdout : '';
}

function metricValue(text: string, prefix: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** -retentionPeriod as the running process reports it (the `flag` metric). */
async function runningRetention(host: string): Promise<string | undefined> {
  const line = (await storageMetrics(host)).split('\n').find((l) => l.startsWith('flag{name="retentionPeriod"'));
  return line ? /value="([^"]*)"/.exec(line)?.[1] : undefined;
}

async function startTime(host: string): Promise<number | undefined> {
  return metricValue(await storageMetrics(host), 'vm_app_start_timestamp');
}

async function rejectedTooOld(): Promise<number> {
  let sum = 0;
  for (const storage of storages) sum += metricValue(await storageMetrics(storage.name), 'vm_rows_ignored_total{reason="small_timestamp"}') ?? NaN;
  return sum;
}

/** Makes what vmstorage received searchable now (instead of within a second or so). */
async function forceFlush(): Promise<void> {
  for (const storage of storages) {
    await onHost(storage.name, `curl -sf --max-time 10 'http://127.0.0.1:${labPorts.vmstorage_http}/internal/force_flush?authKey=${secrets!.vmha_force_flush_auth_key}'`);
  }
}

async function write(c: Client, lines: string[]): Promise<boolean> {
  const result = await request(c.writeAddresses, labPorts.lb_insert, '/insert/0/prometheus/api/v1/import/prometheus', {
    credentials: c.write,
    ca: c.ca,
    method: 'POST',
    body: `${lines.join('\n')}\n`,
  });
  return result.status >= 200 && result.status < 300;
}

/** Timestamps of a series read back through the read DNS name, nocache=1. */
async function readBack(match: string, fromMs: number, toMs: number): Promise<number[] | undefined> {
  const query = `/select/0/prometheus/api/v1/export?match[]=${encodeURIComponent(match)}&start=${Math.floor(fromMs / 1000)}&end=${Math.ceil(toMs / 1000)}&nocache=1`;
  const result = await request(client.readAddresses, labPorts.lb_select, query, { credentials: client.read, ca: client.ca, timeoutMs: 20_000 });
  if (result.status !== 200) return undefined;
  return parseExportLines(result.body).flatMap((s) => s.timestamps).sort((a, b) => a - b);
}

async function waitHealthy(host: string, port: number): Promise<boolean> {
  const health = () => onHost(host, `curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://127.0.0.1:${port}/health`);
  return (await pollUntil(health, (run) => run.stdout.trim() === '200', { everyMs: 500, attempts: 120 })).ok;
}

/** A reader at 1 Hz through the read DNS name while `work` runs; returns the failed reads. */
async function readingDuring<T>(work: () => Promise<T>): Promise<{ value: T; failedSeconds: number; failures: string[]; reads: number }> {
  const probes: { atMs: number; ok: boolean }[] = [];
  const failures: string[] = [];
  let stop = false;
  const query = `/select/0/prometheus/api/v1/query?query=${encodeURIComponent(`count(vmha_retention_probe{run="${runId}"})`)}&nocache=1`;
  const loop = (async () => {
    for (let i = 0; i < 1800 && !stop; i++) {
      const atMs = Date.now();
      const result = await request(client.readAddresses, labPorts.lb_select, query, { credentials: client.read, ca: client.ca });
      let ok = false;
      try {
        const body = JSON.parse(result.body) as { status: string; isPartial?: boolean };
        ok = result.status === 200 && body.status === 'success' && body.isPartial !== true;
      } catch {
        ok = false;
      }
      probes.push({ atMs, ok });
      if (!ok && failures.length < 5) failures.push(`${new Date(atMs).toISOString()} ${result.address} ${result.status} ${result.body.slice(0, 160)}`);
      await sleep(Math.max(0, 1000 - (Date.now() - atMs)));
    }
  })();
  try {
    const value = await work();
    return { value, failedSeconds: errorSeconds(probes, 1000), failures, reads: probes.length };
  } finally {
    stop = true;
    await loop;
  }
}

async function sitePlaybook(): Promise<{ ok: boolean; output: string }> {
  const run = await $({ cwd: path.join(repoRoot, 'ansible'), env, nothrow: true })`ansible-playbook -i ../.lab/inventory site.yml`;
  return { ok: run.exitCode === 0, output: run.stdout.slice(-3000) + run.stderr.slice(-1000) };
}

async function generate(): Promise<boolean> {
  const run = await $({ cwd: repoRoot, nothrow: true })`node --import ./scripts/register-ts.mjs scripts/generate.ts -i ${labInventoryDir}`;
  return run.exitCode === 0;
}

// 1. The inventory's retention is in force on every vmstorage.
const retention = await generatedRetention();
for (const storage of storages) {
  const running = await runningRetention(storage.name);
  checks.expect(`${storage.name}: runs with -retentionPeriod=${retention} from the inventory`, running === retention, `running: ${running}`);
}

// 2. A sample older than the retention is rejected, counted, and never returned.
const nowMs = Date.now();
const settings = yaml.load(await fs.readFile(settingsFile, 'utf8')) as Record<string, unknown>;
const retentionMonths = /^(\d+)M$/.exec(String(settings.vmha_retention))?.[1];
// VictoriaMetrics counts a month as 31 days; a week more keeps clear of rounding.
const retentionMs = retentionMonths ? Number(retentionMonths) * 31 * dayMs : NaN;
checks.expect('the lab retention is a number of months (the check below relies on it)', Number.isFinite(retentionMs), String(settings.vmha_retention));
const tooOldMs = Math.floor((nowMs - retentionMs - 7 * dayMs) / 1000) * 1000;
const rejectedBefore = await rejectedTooOld();
const oldWritten = await write(client, syntheticImportLines('vmha_retention_old', { run: runId }, [{ ts: tooOldMs, value: 1 }]));
checks.expect('the write path acknowledges the too-old sample (vmstorage drops it)', oldWritten);
await sleep(2000);
await forceFlush();
const rejectedAfter = await rejectedTooOld();
checks.expect(
  'the too-old sample is counted as rejected by vmstorage (vm_rows_ignored_total{reason="small_timestamp"})',
  rejectedAfter - rejectedBefore >= 1,
  `before ${rejectedBefore}, after ${rejectedAfter}`,
);
const oldBack = await readBack(`vmha_retention_old{run="${runId}"}`, tooOldMs - dayMs, nowMs);
checks.expect('the too-old sample is never returned', oldBack !== undefined && oldBack.length === 0, JSON.stringify(oldBack));

// 3. Samples inside the retention survive restarts and site.yml.
const insideMs = [retentionMs - 7 * dayMs, 10 * dayMs, dayMs, 3_600_000, 60_000]
  .filter((age) => age < retentionMs)
  .map((age) => Math.floor((nowMs - age) / 1000) * 1000)
  .sort((a, b) => a - b);
const inside = insideMs.map((ts, i) => ({ ts, value: i + 1 }));
checks.expect('samples inside the retention are acknowledged', await write(client, syntheticImportLines('vmha_retention_probe', { run: runId }, inside)));
await sleep(2000);
await forceFlush();
const match = `vmha_retention_probe{run="${runId}"}`;
async function countInside(when: string): Promise<void> {
  await forceFlush();
  const back = await readBack(match, insideMs[0]! - 1000, Date.now());
  checks.expect(
    `${when}: all ${insideMs.length} samples inside the retention are returned`,
    back !== undefined && JSON.stringify(back) === JSON.stringify(insideMs),
    `returned ${JSON.stringify(back)}`,
  );
}
await countInside('after the write');

log(`restarting ${storages[0]!.name}`);
await onHost(storages[0]!.name, 'systemctl restart vmstorage');
checks.expect(`${storages[0]!.name} is healthy after its restart`, await waitHealthy(storages[0]!.name, labPorts.vmstorage_http));
await countInside(`after a restart of ${storages[0]!.name}`);

log('restarting the whole cluster (every vmstorage, vminsert and vmselect at once)');
const cluster: [string, string, number][] = [
  ...storages.map((h) => [h.name, 'vmstorage', labPorts.vmstorage_http] as [string, string, number]),
  ...hostsInGroup('vminsert').map((h) => [h.name, 'vminsert', labPorts.vminsert_http] as [string, string, number]),
  ...hostsInGroup('vmselect').map((h) => [h.name, 'vmselect', labPorts.vmselect_http] as [string, string, number]),
];
for (const [host, unit] of cluster) await onHost(host, `systemctl stop ${unit}`);
for (const [host, unit] of cluster) await onHost(host, `systemctl start ${unit}`);
for (const [host, , port] of cluster) checks.expect(`${host} is healthy after the cluster restart`, await waitHealthy(host, port));
await sleep(3000);
await countInside('after a full cluster restart');

log('no-change site.yml run');
const rerun = await sitePlaybook();
checks.expect('a site.yml re-run succeeds', rerun.ok, rerun.output);
await countInside('after a site.yml re-run');

// 4. A changed retention is applied by site.yml with a rolling restart and no read error.
const originalSettings = await fs.readFile(settingsFile, 'utf8');
const originalGenerated = await fs.readFile(generatedFile, 'utf8');
const changedMonths = Number(retentionMonths ?? 2) + 1;
async function applyRetention(label: string, expected: string): Promise<void> {
  const startsBefore = await Promise.all(storages.map((s) => startTime(s.name)));
  const started = Date.now();
  log(`site.yml with retention ${label}`);
  const { value: run, failedSeconds, failures, reads } = await readingDuring(sitePlaybook);
  checks.expect(`retention ${label}: site.yml succeeds`, run.ok, run.output);
  checks.expect(`retention ${label}: no read failed during the site.yml run (${reads} reads at 1 Hz)`, failedSeconds === 0 && reads > 0, failures.join('\n'));
  const startsAfter = await Promise.all(storages.map((s) => startTime(s.name)));
  for (const [i, storage] of storages.entries()) {
    const running = await runningRetention(storage.name);
    checks.expect(`retention ${label}: ${storage.name} runs with -retentionPeriod=${expected}`, running === expected, `running: ${running}`);
    checks.expect(
      `retention ${label}: ${storage.name} was restarted`,
      startsAfter[i] !== undefined && startsAfter[i] !== startsBefore[i] && startsAfter[i]! * 1000 >= started - 1000,
      `start time before ${startsBefore[i]}, after ${startsAfter[i]}`,
    );
  }
  const starts = (startsAfter.filter((s) => s !== undefined) as number[]).sort((a, b) => a - b);
  const rolling = starts.every((s, i) => i === 0 || s - starts[i - 1]! >= 1);
  checks.expect(`retention ${label}: the restarts were one vmstorage at a time`, rolling, `start times ${JSON.stringify(starts)}`);
  await countInside(`after the retention ${label}`);
}
try {
  await fs.writeFile(settingsFile, originalSettings.replace(/^vmha_retention: .*$/m, `vmha_retention: ${changedMonths}M`));
  checks.expect('generate accepts the changed retention', await generate());
  await applyRetention(`change to ${changedMonths}M`, String(changedMonths));
} finally {
  // The lab is left as it was found: the original inventory, applied the same way.
  await fs.writeFile(settingsFile, originalSettings);
  await fs.writeFile(generatedFile, originalGenerated);
  await applyRetention(`restore to ${retentionMonths}M`, retention);
}

process.exitCode = checks.report('retention') ? 0 : 1;
