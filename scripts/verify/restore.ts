// Verify step of Molecule scenario `restore` (issue 12, item 3): the restore drill.
//   node --import ./scripts/register-ts.mjs scripts/verify/restore.ts [--host vmstorage-2]
// Under the lab lock. On the deployed lab with backups configured (the lab's S3 server):
//  1. writes probe series with fixed past timestamps through the write DNS name, then counts the
//     series and samples of a fixed past window on the chosen vmstorage ALONE (a temporary vmselect
//     on a vmselect host's loopback port, -storageNode = that vmstorage, nocache=1);
//  2. backs the node up with its own vmbackup.service (what the timer runs) and the daily full copy
//     (vmbackup-full.service), and checks the backup age metric node_exporter serves;
//  3. removes the node's container and lets `lab up` create it again, empty;
//  4. runs ansible/restore.yml for it (vmrestore before vmstorage starts, then the host is deployed);
//  5. counts again on the node alone: every count must match. Report: reports/restore.{md,json}.
import { $, fs, path } from 'zx';
import { parseArgs } from 'node:util';
import { syntheticImportLines } from '../lib/failover.js';
import { labBackupSettings, hostsInGroup, findHost, labClusterSettings, labPorts } from '../lib/lab-topology.js';
import { compareCounts, countQueries, parseBackupLog, parseRestoreLog, renderReport, scalarAnswer, type DrillReport, type NodeCounts, type WindowCount } from '../lib/restore-drill.js';
import { CheckRecorder } from './check-recorder.js';
import { onHost } from './lab-client.js';
import { labSecrets } from './lab-credentials.js';
import { makeClient, request } from './dns-client.js';

$.verbose = false;
const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const env = { ...process.env, PATH: `${path.join(repoRoot, '.venv', 'bin')}:${process.env.PATH ?? ''}` };
const log = (message: string): void => console.log(`${new Date().toISOString().slice(11, 19)} ${message}`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const { values } = parseArgs({ options: { host: { type: 'string', default: 'vmstorage-2' } } });
const node = findHost(values.host!);
const storages = hostsInGroup('vmstorage');
const [selectHost] = hostsInGroup('vmselect');
if (!selectHost || !storages.some((s) => s.name === node.name)) throw new Error(`--host must be one of ${storages.map((s) => s.name).join(', ')}`);
const checks = new CheckRecorder();
const secrets = await labSecrets();
const client = await makeClient();
const runId = `r${Date.now().toString(36)}`;
const drillPort = 18491;
const drillUnit = 'vmha-restore-drill-vmselect';

// The fixed window: 20 to 10 minutes ago, the probe samples every 10 s inside it.
const windowSeconds = 600;
const windowEnd = Math.floor(Date.now() / 60_000) * 60 - 600;
const windowStart = windowEnd - windowSeconds;
const probeSeries = 40;
const probeTimestamps = Array.from({ length: windowSeconds / 10 }, (_, i) => (windowStart + 5 + i * 10) * 1000);

async function forceFlush(): Promise<void> {
  for (const s of storages) {
    await onHost(s.name, `curl -sf --max-time 10 'http://127.0.0.1:${labPorts.vmstorage_http}/internal/force_flush?authKey=${secrets.vmha_force_flush_auth_key}'`);
  }
}

/** A vmselect of the lab's release on a vmselect host's loopback, reading only `storage`. */
async function startNodeReader(storage: string): Promise<boolean> {
  await onHost(selectHost!.name, `systemctl stop ${drillUnit} 2>/dev/null; systemctl reset-failed ${drillUnit} 2>/dev/null; true`);
  const address = findHost(storage).address;
  const run = await onHost(
    selectHost!.name,
    `systemd-run --unit=${drillUnit} --property=DynamicUser=yes --property=PrivateTmp=yes /usr/local/bin/vmselect-prod ` +
      `-httpListenAddr=127.0.0.1:${drillPort} -storageNode=${address}:${labPorts.vmstorage_select} ` +
      `-dedup.minScrapeInterval=${labClusterSettings.dedup_interval} -cacheDataPath=/tmp/vmselect-cache -search.maxUniqueTimeseries=1000000`,
  );
  if (run.exitCode !== 0) return false;
  for (let i = 0; i < 60; i++) {
    const h = await onHost(selectHost!.name, `curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://127.0.0.1:${drillPort}/health`);
    if (h.stdout.trim() === '200') return true;
    await sleep(500);
  }
  return false;
}

async function stopNodeReader(): Promise<void> {
  await onHost(selectHost!.name, `systemctl stop ${drillUnit} 2>/dev/null; true`);
}

async function instant(query: string): Promise<number> {
  const url = `http://127.0.0.1:${drillPort}/select/0/prometheus/api/v1/query?query=${encodeURIComponent(query)}&time=${windowEnd}&nocache=1`;
  const run = await onHost(selectHost!.name, `curl -s --max-time 60 '${url}'`);
  return scalarAnswer(run.stdout);
}

async function count(selector: string): Promise<WindowCount> {
  const q = countQueries(selector, windowSeconds);
  return { series: await instant(q.series), samples: await instant(q.samples) };
}

async function countOn(storage: string): Promise<NodeCounts> {
  if (!(await startNodeReader(storage))) throw new Error(`the temporary vmselect for ${storage} did not start on ${selectHost!.name}`);
  try {
    // a fresh vmselect has no connection yet: the first answer waits for it
    return { all: await count('{__name__=~".+"}'), probe: await count(`{__name__="vmha_restore_probe",run="${runId}"}`) };
  } finally {
    await stopNodeReader();
  }
}

async function runUnit(host: string, unit: string): Promise<{ ok: boolean; seconds: number; journal: string }> {
  const started = Date.now();
  const cursor = (await onHost(host, 'date +%s')).stdout.trim();
  const run = await onHost(host, `systemctl start ${unit}`);
  const seconds = (Date.now() - started) / 1000;
  const journal = (await onHost(host, `journalctl -u ${unit} --since @${cursor} --no-pager -o cat`)).stdout;
  return { ok: run.exitCode === 0, seconds, journal };
}

// 1. probe data in the window, then the counts on the node before the backup
log(`writing ${probeSeries} probe series x ${probeTimestamps.length} samples (run ${runId}) into ${new Date(windowStart * 1000).toISOString()} .. ${new Date(windowEnd * 1000).toISOString()}`);
const lines = Array.from({ length: probeSeries }, (_, i) =>
  syntheticImportLines('vmha_restore_probe', { run: runId, i: String(i) }, probeTimestamps.map((ts, k) => ({ ts, value: k }))),
).flat();
const written = await request(client.writeAddresses, labPorts.lb_insert, '/insert/0/prometheus/api/v1/import/prometheus', {
  credentials: client.write,
  ca: client.ca,
  method: 'POST',
  body: `${lines.join('\n')}\n`,
  timeoutMs: 20_000,
});
checks.expect('the probe samples are acknowledged by the write path', written.status >= 200 && written.status < 300, `${written.status} ${written.body}`);
await sleep(2000);
await forceFlush();

const otherNodes: Record<string, NodeCounts> = {};
for (const s of storages.filter((s) => s.name !== node.name)) otherNodes[s.name] = await countOn(s.name);
const before = await countOn(node.name);
log(`before: ${JSON.stringify(before)}; other nodes ${JSON.stringify(otherNodes)}`);
checks.expect(`${node.name} holds data in the window and some probe series`, before.all.samples > 0 && before.probe.series > 0, JSON.stringify(before));
checks.expect(
  `${node.name} holds every sample of each probe series it holds (${probeTimestamps.length} each)`,
  before.probe.samples === before.probe.series * probeTimestamps.length,
  JSON.stringify(before.probe),
);
const allProbeCopies = [before, ...Object.values(otherNodes)].reduce((sum, c) => sum + c.probe.series, 0);
checks.expect(
  `the probe series are on exactly 2 nodes each (replication factor ${labClusterSettings.replication_factor}): the count is per node`,
  allProbeCopies === probeSeries * labClusterSettings.replication_factor,
  `copies counted: ${allProbeCopies}`,
);

// 2. the backups, as the timers run them
log(`backing up ${node.name} with vmbackup.service`);
const backup = await runUnit(node.name, 'vmbackup.service');
const backupLog = parseBackupLog(backup.journal);
checks.expect(`${node.name}: vmbackup.service succeeds`, backup.ok && backupLog !== undefined, backup.journal.slice(-1500));
const metric = (await onHost(node.name, `curl -s --max-time 5 http://127.0.0.1:${labPorts.node_exporter}/metrics | grep '^vmha_backup_last_success_timestamp_seconds{kind="latest"}'`)).stdout.trim();
const lastSuccess = Number(metric.split(' ').pop());
checks.expect(
  `${node.name}: node_exporter serves vmha_backup_last_success_timestamp_seconds{kind="latest"} of this run`,
  Number.isFinite(lastSuccess) && Math.abs(Date.now() / 1000 - lastSuccess) < 120,
  metric || '(no such metric)',
);
log('daily full copy with vmbackup-full.service');
const full = await runUnit(node.name, 'vmbackup-full.service');
const fullLog = parseBackupLog(full.journal);
checks.expect(`${node.name}: vmbackup-full.service succeeds (incremental run, then the server-side copy)`, full.ok && fullLog?.copiedBytes !== undefined, full.journal.slice(-1500));

if (!backup.ok || !full.ok || before.probe.series === 0) {
  // Never take a node's data away without a backup of it.
  checks.report('restore');
  console.log(`stopping before ${node.name} is removed: no complete backup`);
  process.exit(1);
}

// 3. a fresh, empty host
log(`removing the ${node.name} container and creating it again empty`);
await $`docker rm --force ${node.name}`;
const up = await $({ cwd: repoRoot, nothrow: true })`node --import ./scripts/register-ts.mjs scripts/lab.ts up`;
checks.expect(`lab up creates ${node.name} again`, up.exitCode === 0, up.stderr.slice(-1500));
const empty = await onHost(node.name, 'test ! -e /var/lib/vmstorage && test ! -e /usr/local/bin/vmstorage-prod');
checks.expect(`${node.name} is a fresh host: no vmstorage, no data`, empty.exitCode === 0);

// 4. restore.yml
log(`ansible-playbook restore.yml -e vmha_restore_host=${node.name}`);
const restoreStarted = Date.now();
const playbook = await $({ cwd: path.join(repoRoot, 'ansible'), env, nothrow: true })`ansible-playbook -i ../.lab/inventory restore.yml -e vmha_restore_host=${node.name} --limit localhost,${node.name}`;
const playbookSeconds = (Date.now() - restoreStarted) / 1000;
checks.expect('restore.yml succeeds', playbook.exitCode === 0, playbook.stdout.slice(-2500));
const restoreJournal = (await onHost(node.name, 'journalctl -u vmrestore.service --no-pager -o cat')).stdout;
const restoreLog = parseRestoreLog(restoreJournal);
checks.expect(`${node.name}: vmrestore ran before vmstorage's first start`, restoreLog !== undefined, restoreJournal.slice(-1500));

// 5. counts after, and the node is part of the cluster again
await sleep(3000);
const after = await countOn(node.name);
log(`after: ${JSON.stringify(after)}`);
const verdict = compareCounts(before, after, { series: before.probe.series, samples: before.probe.series * probeTimestamps.length });
checks.expect(`${node.name}: series and sample counts of the window match after the restore`, verdict.ok, verdict.problems.join('; '));
for (const vminsert of hostsInGroup('vminsert')) {
  const metrics = await onHost(vminsert.name, `curl -s --max-time 5 'http://127.0.0.1:${labPorts.vminsert_http}/metrics?authKey=${secrets.vmha_metrics_auth_key}' | grep '^vm_rpc_vmstorage_is_reachable' | grep '${node.address}'`);
  checks.expect(`${vminsert.name} reaches ${node.name} again`, /\s1$/.test(metrics.stdout.trim()), metrics.stdout);
}

const report: DrillReport = {
  date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
  node: node.name,
  destination: `${labBackupSettings.backup_destination}/${node.name}/latest`,
  window: { start: new Date(windowStart * 1000).toISOString(), end: new Date(windowEnd * 1000).toISOString() },
  before,
  after,
  otherNodes,
  backup: { seconds: backup.seconds, bytes: backupLog?.bytes, uploadedBytes: backupLog?.uploadedBytes },
  fullCopy: { seconds: full.seconds, bytes: fullLog?.bytes, copiedBytes: fullLog?.copiedBytes, uploadedBytes: fullLog?.uploadedBytes },
  restore: { playbookSeconds, vmrestoreSeconds: restoreLog?.seconds, bytes: restoreLog?.bytes },
  verdict,
};
await fs.writeFile(path.join(repoRoot, 'reports', 'restore.json'), `${JSON.stringify(report, null, 2)}\n`);
await fs.writeFile(path.join(repoRoot, 'reports', 'restore.md'), renderReport(report));
process.exitCode = checks.report('restore') ? 0 : 1;
