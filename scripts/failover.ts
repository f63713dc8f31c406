// npm run failover: the fault driver of the `failover` scenario (issue 10). One instance of each
// component kind is stopped, crashed (SIGKILL, systemd restarts it), frozen (docker pause) and cut
// off the lab network, then both write load balancers go down for a minute and a vmstorage loses
// its disk. During each fault a probe stream (1 Hz, through the write DNS name) and a reader
// (1 Hz, through the read DNS name) run against the lab, and the node_exporter scrapes are counted
// afterwards (nocache=1). Writes reports/<name>.{json,md}.
//
// Usage: node --import ./scripts/register-ts.mjs scripts/failover.ts
//          [--faults vmagent/stop,vmstorage/freeze | --ci] [--report failover] [--merge]
//   --ci      the fixed CI subset (ciFaultSubset in scripts/lib/failover.ts)
//   --merge   merge these results into an existing report (chunked runs under the lab lock)
// Run under the lab lock: flock /tmp/vmha-lab.lock node ... scripts/failover.ts
// Targets only lab hosts (docker exec / pause / network on the lab containers) and their addresses.
import { $, fs, path, sleep } from 'zx';
import { parseCli } from './lib/cli.js';
import { pollUntil } from './lib/poll.js';
import {
  ciFaultSubset,
  countLost,
  describeLossWindow,
  errorSeconds,
  faultHosts,
  faultName,
  faultPlan,
  lossWindows,
  mergeResults,
  recoverySeconds,
  renderFailoverJson,
  renderFailoverMarkdown,
  selectFaults,
  validateFailoverReport,
  type ComponentKind,
  type FaultPlanEntry,
  type FaultResult,
} from './lib/failover.js';
import { findHost, hostsInGroup, labClusterSettings, labHosts, labNetwork, labPorts, labScheme, type LabGroup } from './lib/lab-topology.js';
import { buildTimeline } from './lib/failover-timeline.js';
import { onHost } from './verify/lab-client.js';
import { attemptTimeoutMs, makeClient, type Client } from './verify/dns-client.js';
import { Reader, Writer, exportSeries, missedScrapesIn, readProbeSamples, waitForScrapesAfter } from './verify/probe-load.js';

$.verbose = false;
const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const log = (message: string): void => console.log(`${new Date().toISOString().slice(11, 19)} ${message}`);

const scrapeSeconds = Number.parseInt(labClusterSettings.scrape_interval, 10);
const probeMs = 1000;
/** Bounds of every wait loop. */
const recoveryLimitMs = 180_000;

/** systemd unit of each component kind. */
const unitOf: Record<ComponentKind, string> = {
  vmagent: 'vmagent',
  lb_insert: 'nginx',
  vminsert: 'vminsert',
  vmstorage: 'vmstorage',
  vmselect: 'vmselect',
  lb_select: 'nginx',
};
/** Local health endpoint of each kind (checked inside the host). */
const healthOf: Record<ComponentKind, string> = {
  vmagent: `http://127.0.0.1:${labPorts.vmagent_http}/health`,
  lb_insert: `https://127.0.0.1:${labPorts.lb_insert}/health`,
  vminsert: `http://127.0.0.1:${labPorts.vminsert_http}/health`,
  vmstorage: `http://127.0.0.1:${labPorts.vmstorage_http}/health`,
  vmselect: `http://127.0.0.1:${labPorts.vmselect_http}/health`,
  lb_select: `https://127.0.0.1:${labPorts.lb_select}/health`,
};

// ---------------------------------------------------------------------------------------------
// The probe stream and the reader (scripts/verify/probe-load.ts, shared with the upgrade scenario).

const probeMetric = 'vmha_failover_probe';
const runId = Date.now().toString(36);

// ---------------------------------------------------------------------------------------------
// Faults on lab hosts.

async function docker(...args: string[]): Promise<void> {
  const run = await $({ nothrow: true })`docker ${args}`;
  if (run.exitCode !== 0) throw new Error(`docker ${args.join(' ')}: ${run.stderr.trim()}`);
}

async function mustOnHost(host: string, command: string): Promise<string> {
  const run = await onHost(host, command);
  if (run.exitCode !== 0) throw new Error(`${host}: ${command}: exit ${run.exitCode} ${run.stderr.trim()}`);
  return run.stdout;
}

async function isPaused(host: string): Promise<boolean> {
  const run = await $({ nothrow: true })`docker inspect -f {{.State.Paused}} ${host}`;
  return run.stdout.trim() === 'true';
}

async function isConnected(host: string): Promise<boolean> {
  const run = await $({ nothrow: true })`docker inspect -f ${`{{if index .NetworkSettings.Networks "${labNetwork.name}"}}yes{{end}}`} ${host}`;
  return run.stdout.trim() === 'yes';
}

async function reconnect(host: string): Promise<void> {
  if (await isConnected(host)) return;
  await docker('network', 'connect', '--ip', findHost(host).address, labNetwork.name, host);
}

/** Applies a fault; returns what undoes it (nothing for a crash: systemd restarts the process). */
async function applyFault(entry: FaultPlanEntry): Promise<() => Promise<void>> {
  const unit = unitOf[entry.component];
  switch (entry.fault) {
    case 'stop': {
      await mustOnHost(entry.host, `systemctl stop ${unit}`);
      return async () => void (await mustOnHost(entry.host, `systemctl start ${unit}`));
    }
    case 'crash': {
      await mustOnHost(entry.host, `systemctl kill -s SIGKILL ${unit}`);
      return async () => {};
    }
    case 'freeze': {
      await docker('pause', entry.host);
      return async () => docker('unpause', entry.host);
    }
    case 'partition': {
      await docker('network', 'disconnect', labNetwork.name, entry.host);
      return async () => reconnect(entry.host);
    }
    case 'both-down': {
      for (const host of entry.hosts) await mustOnHost(host, `systemctl stop ${unit}`);
      return async () => {
        for (const host of entry.hosts) await mustOnHost(host, `systemctl start ${unit}`);
      };
    }
    case 'lost-disk': {
      // The disk is gone: the service stops with it and the state directory comes back empty.
      await mustOnHost(entry.host, `systemctl stop ${unit} && find /var/lib/vmstorage -mindepth 1 -delete && ls -A /var/lib/vmstorage | wc -l`);
      return async () => void (await mustOnHost(entry.host, `systemctl start ${unit}`));
    }
  }
}

/** Healthy: not paused, on the network, unit active and its /health answering 200. */
async function isHealthy(host: string, component: ComponentKind): Promise<boolean> {
  if ((await isPaused(host)) || !(await isConnected(host))) return false;
  const check = await onHost(
    host,
    `systemctl is-active --quiet ${unitOf[component]} && curl -sk -o /dev/null -w '%{http_code}' --max-time 2 ${healthOf[component]}`,
  );
  return check.exitCode === 0 && check.stdout.trim() === '200';
}

/** Every host of every component kind healthy; a lab left broken by an earlier run is refused. */
async function allHealthy(): Promise<string[]> {
  const problems: string[] = [];
  for (const component of Object.keys(unitOf) as ComponentKind[]) {
    for (const host of hostsInGroup(component as LabGroup)) {
      if (!(await isHealthy(host.name, component))) problems.push(`${host.name} (${component})`);
    }
  }
  return problems;
}

/**
 * systemd's InvocationID of every vmha unit on every host: it changes on each start, so a unit
 * (re)started by anything but the fault under test shows up (the lab is shared).
 */
async function unitInvocations(): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  await Promise.all(
    labHosts.map(async (host) => {
      const units = [...new Set(host.groups.filter((g) => g in unitOf).map((g) => unitOf[g as ComponentKind])), 'node_exporter'];
      const run = await onHost(host.name, `systemctl show -p InvocationID --value ${units.join(' ')}`);
      run.stdout.split('\n').slice(0, units.length).forEach((id, i) => ids.set(`${host.name}/${units[i]}`, id.trim()));
    }),
  );
  return ids;
}

/** Undo anything a crashed earlier run may have left: paused or disconnected lab hosts. */
async function heal(): Promise<void> {
  for (const host of labHosts) {
    if (await isPaused(host.name)) await docker('unpause', host.name);
    await reconnect(host.name);
  }
}

// ---------------------------------------------------------------------------------------------
// Accounting through the read path (nocache=1), scripts/verify/probe-load.ts.

/** The probe samples read back in [fromMs, toMs]. */
const probeSamplesIn = (client: Client, fromMs: number, toMs: number): Promise<number[]> => readProbeSamples(client, probeMetric, runId, fromMs, toMs);

// ---------------------------------------------------------------------------------------------
// One fault.

/** Why samples can go missing, by mechanism, for the report's explanation. */
const lossMechanism: Partial<Record<string, string>> = {
  'vminsert/crash':
    'vminsert acknowledges a write once it is in its in-memory buffers for the vmstorages (flushed about every 200 ms); SIGKILL loses what it had buffered',
  'vminsert/freeze': 'a frozen vminsert holds acknowledged data in its buffers until it thaws',
  'vminsert/partition': 'a partitioned vminsert holds acknowledged data in its buffers until it is reconnected',
};

interface FaultOutcome {
  result: FaultResult;
  notes: string[];
}

async function runFault(client: Client, writer: Writer, reader: Reader, entry: FaultPlanEntry, streamStartMs: number): Promise<FaultOutcome> {
  const name = faultName(entry);
  const notes: string[] = [];
  const hosts = faultHosts(entry);
  const hostsFileBefore = new Map<string, string>();
  for (const host of hosts) hostsFileBefore.set(host, (await onHost(host, 'cat /etc/hosts')).stdout);

  const invocationsBefore = await unitInvocations();
  await sleep(2 * probeMs); // a quiet baseline before the fault
  const startMs = Date.now();
  log(`${name}: fault on ${hosts.join(', ')} for ${entry.downSeconds} s`);
  let undo: () => Promise<void> = async () => {};
  try {
    undo = await applyFault(entry);
    await sleep(entry.downSeconds * 1000);
  } finally {
    await undo();
  }
  const endMs = Date.now();
  log(`${name}: fault over after ${((endMs - startMs) / 1000).toFixed(1)} s; waiting for recovery`);

  // Docker rewrites a reconnected container's /etc/hosts; put vmha's records back if it did.
  for (const host of hosts) {
    const now = (await onHost(host, 'cat /etc/hosts')).stdout;
    if (now !== hostsFileBefore.get(host)) {
      notes.push(`${host}: /etc/hosts changed by the fault, restored`);
      await $({ input: hostsFileBefore.get(host) ?? '' })`docker exec -i ${host} sh -c ${'cat > /etc/hosts'}`;
    }
  }

  // Recovery: the faulted instances healthy again and both probe streams ok for 3 s in a row.
  const deadline = Date.now() + recoveryLimitMs;
  const allHealthy = async () => (await Promise.all(hosts.map((host) => isHealthy(host, entry.component)))).every(Boolean);
  const recovered = await pollUntil(allHealthy, (healthy) => healthy, { everyMs: 500, seconds: recoveryLimitMs / 1000 });
  const healthyAtMs = recovered.ok ? Date.now() : undefined;
  if (healthyAtMs === undefined) notes.push(`${hosts.join(', ')} not healthy ${recoveryLimitMs / 1000} s after the fault`);
  if (Date.now() < deadline) {
    await pollUntil(async () => writer.pendingCount(), (pending) => pending === 0, { everyMs: 500, seconds: (deadline - Date.now()) / 1000 });
  }
  await sleep(3 * probeMs + attemptTimeoutMs * 2);
  const writeProbes = writer.probes.filter((p) => p.atMs >= startMs);
  const readProbes = reader.probes.filter((p) => p.atMs >= startMs);
  const recoveries = [recoverySeconds(writeProbes, endMs), recoverySeconds(readProbes, endMs)];
  const serviceRecovery = healthyAtMs === undefined ? recoveryLimitMs / 1000 : Math.max(0, healthyAtMs - endMs) / 1000;
  const recovery = recoveries.some((r) => r === undefined) ? recoveryLimitMs / 1000 : Math.max(serviceRecovery, ...(recoveries as number[]));

  // Let scraped data (vmagent queues, vminsert buffers) land before counting it.
  const accountedToMs = Date.now();
  if (!(await waitForScrapesAfter(client, accountedToMs + 2 * scrapeSeconds * 1000))) notes.push('scrapes did not catch up within the bound');
  const windowFromMs = startMs - 3 * scrapeSeconds * 1000;
  const scrapes = await missedScrapesIn(client, windowFromMs, accountedToMs);
  notes.push(...scrapes.detail);

  // Direct writes: every acknowledged probe sample of the fault window must be read back.
  const ackedInWindow = [...writer.acked.keys()].filter((ts) => ts >= windowFromMs && ts < accountedToMs);
  const observed = await probeSamplesIn(client, windowFromMs, accountedToMs);
  const loss = countLost(ackedInWindow, observed);
  const explanations: string[] = [];
  if (loss.lost > 0) {
    for (const window of lossWindows(loss.lostTimestamps, probeMs)) explanations.push(describeLossWindow(window, lossMechanism[name]));
  }
  const notAcked = writer.probes.filter((p) => p.atMs >= windowFromMs && p.atMs < accountedToMs && !p.ok).length;
  if (notAcked > 0) notes.push(`${notAcked} write attempts failed and were resent`);

  const invocationsAfter = await unitInvocations();
  const restartedElsewhere = [...invocationsAfter].filter(
    ([key, id]) =>
      invocationsBefore.get(key) !== id &&
      !hosts.some((host) => key.startsWith(`${host}/`)) &&
      !(entry.fault === 'lost-disk' && key.endsWith('/vmstorage')), // the copy check stops each vmstorage
  );
  if (restartedElsewhere.length) {
    notes.push(`INTERFERENCE: started by something other than this fault: ${restartedElsewhere.map(([key]) => key).join(', ')}`);
  }

  let partialReads = readProbes.filter((p) => p.partial).length;
  let directLost = loss.lost;

  if (entry.fault === 'lost-disk') {
    // Reads stay complete: the whole stream written before the disk was lost is still there
    // (one copy left of what the lost disk held), read several times (vmselect picks replicas).
    const before = [...writer.acked.keys()].filter((ts) => ts >= streamStartMs && ts < startMs);
    let worst = 0;
    for (let i = 0; i < 5; i++) {
      const back = await probeSamplesIn(client, streamStartMs, startMs);
      worst = Math.max(worst, countLost(before, back).lost);
    }
    if (worst > 0) explanations.push(`${worst} of ${before.length} samples written before the disk was lost not returned`);
    directLost = Math.max(directLost, worst);
    // New data gets 2 copies: written after the restart, it stays readable with any one vmstorage stopped.
    // Reads are judged up to here: the copy check below stops vmstorages on purpose.
    partialReads = reader.probes.filter((p) => p.atMs >= startMs && p.partial).length;
    const freshFromMs = endMs + 5000;
    await sleep(10_000);
    const freshToMs = Date.now();
    const fresh = [...writer.acked.keys()].filter((ts) => ts >= freshFromMs && ts < freshToMs);
    for (const storage of hostsInGroup('vmstorage')) {
      await mustOnHost(storage.name, 'systemctl stop vmstorage');
      try {
        const back = await probeSamplesIn(client, freshFromMs, freshToMs);
        const missing = countLost(fresh, back).lost;
        notes.push(`${storage.name} stopped: ${fresh.length - missing} of ${fresh.length} samples written after the restart readable`);
        if (missing > 0) {
          explanations.push(`new data has fewer than 2 copies: ${missing} samples unreadable with ${storage.name} stopped`);
          directLost = Math.max(directLost, missing);
        }
      } finally {
        await mustOnHost(storage.name, 'systemctl start vmstorage');
      }
      await pollUntil(() => isHealthy(storage.name, 'vmstorage'), (healthy) => healthy, { everyMs: 500, attempts: 60 });
      await sleep(3000); // vmselect re-dials a node it lost once a second
    }
  }

  // Per-second timeline for the plots (scripts/failover-plots.ts), with one scraped target off the faulted hosts.
  const plotted = hostsInGroup('node_exporter').find((h) => !hosts.includes(h.name)) ?? hostsInGroup('node_exporter')[0]!;
  const plottedInstance = `${plotted.address}:${labPorts.node_exporter}`;
  const plottedSeries = await exportSeries(client, `up{job="node_exporter",instance="${plottedInstance}"}`, windowFromMs, accountedToMs);
  const timeline = buildTimeline({
    faultStartMs: startMs,
    faultEndMs: endMs,
    fromMs: Math.max(windowFromMs, streamStartMs), // no probes before the stream started
    toMs: accountedToMs,
    writeProbes: writer.probes,
    readProbes: reader.probes,
    dedupSeconds: scrapeSeconds,
    probeSampleTimestamps: observed,
    probeRatePerSecond: 1000 / probeMs,
    scrapedTarget: `${plotted.name} ${plottedInstance}`,
    scrapedTimestamps: plottedSeries.flatMap((s) => s.timestamps.filter((_, i) => Number.isFinite(s.values[i]))),
  });

  const result: FaultResult = {
    component: entry.component,
    fault: entry.fault,
    samples_lost: scrapes.lost,
    direct_writes_lost: directLost,
    write_error_seconds: errorSeconds(writeProbes.filter((p) => p.atMs < accountedToMs), probeMs),
    read_error_seconds: errorSeconds(readProbes.filter((p) => p.atMs < accountedToMs), probeMs),
    // (reads after accountedToMs belong to the lost-disk copy check, which stops nodes on purpose)
    partial_reads: partialReads,
    recovery_seconds: recovery,
    timeline,
    ...(explanations.length ? { explanation: explanations.join('; ') } : {}),
  };
  const failedReads = readProbes.filter((p) => !p.ok).slice(0, 3).map((p) => p.detail);
  if (failedReads.length) notes.push(`failed reads, first: ${failedReads.join(' | ')}`);
  log(
    `${name}: samples_lost ${result.samples_lost}, direct_writes_lost ${result.direct_writes_lost}/${ackedInWindow.length}, write errors ${result.write_error_seconds} s, ` +
      `read errors ${result.read_error_seconds} s, partial ${result.partial_reads}, recovery ${result.recovery_seconds} s`,
  );
  for (const note of notes) log(`  ${note}`);
  return { result, notes };
}

// ---------------------------------------------------------------------------------------------

const hostsByGroup = Object.fromEntries(
  (['vmagent', 'lb_insert', 'vminsert', 'vmstorage', 'vmselect', 'lb_select'] as const).map((g) => [g, hostsInGroup(g).map((h) => h.name)]),
);
const plan = faultPlan(hostsByGroup, scrapeSeconds, {
  minDownSeconds: 20,
  writeOutageSeconds: 60,
  overheadSecondsPerFault: 40,
  maxTotalSeconds: 2400,
  maxFaults: 30,
});
const USAGE =
  'usage: node --import ./scripts/register-ts.mjs scripts/failover.ts [--faults vmagent/stop,vmstorage/freeze | --ci] [--report failover] [--merge]';
const { values: argv } = parseCli('failover', USAGE, {
  options: {
    faults: { type: 'string' },
    ci: { type: 'boolean', default: false },
    report: { type: 'string', default: 'failover' },
    merge: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
const names: string[] = argv.ci ? [...ciFaultSubset] : argv.faults ? argv.faults.split(',') : plan.map(faultName);
const selected = selectFaults(plan, names);
const reportName = argv.report;
if (!/^[a-z0-9-]+$/.test(reportName)) throw new Error(`--report: '${reportName}' is not a plain report name`);

await heal();
const unhealthy = await allHealthy();
if (unhealthy.length) throw new Error(`the lab is not healthy before the faults: ${unhealthy.join(', ')}`);

const client = await makeClient();
const writer = new Writer(client, { metric: probeMetric, runId, slots: scrapeSeconds });
const reader = new Reader(client);
const started = Date.now();
log(`failover run ${runId}: ${selected.length} faults (${selected.map(faultName).join(', ')})`);
writer.start();
reader.start();
await sleep(5000);
const results: FaultResult[] = [];
const allNotes: Record<string, string[]> = {};
try {
  for (const entry of selected) {
    const outcome = await runFault(client, writer, reader, entry, started);
    results.push(outcome.result);
    allNotes[faultName(entry)] = outcome.notes;
  }
} finally {
  await writer.stop();
  await reader.stop();
  await heal();
}
const runSeconds = Math.round((Date.now() - started) / 1000);

const reportsDir = path.join(repoRoot, 'reports');
const jsonFile = path.join(reportsDir, `${reportName}.json`);
let merged = results;
if (argv.merge && (await fs.pathExists(jsonFile))) {
  merged = mergeResults(JSON.parse(await fs.readFile(jsonFile, 'utf8')) as FaultResult[], results);
}
const mergedNames = new Set(merged.map(faultName));
const problems = validateFailoverReport(results, selected);
await fs.ensureDir(reportsDir);
await fs.writeFile(jsonFile, renderFailoverJson(merged));
const covered = plan.filter((entry) => mergedNames.has(faultName(entry))).length;
await fs.writeFile(
  path.join(reportsDir, `${reportName}.md`),
  [
    `# Failover (${covered} of ${plan.length} faults)`,
    '',
    `Lab: 15 systemd hosts, scrape interval ${scrapeSeconds} s, replication factor ${labClusterSettings.replication_factor}. ` +
      `Each fault lasts ${plan[0]!.downSeconds} s (both write balancers: 60 s). Probe stream and reader at 1 Hz through the DNS names ` +
      `(round robin over both balancers, the other one on failure, ${attemptTimeoutMs / 1000} s per attempt). Counted with nocache=1. ` +
      `Written by \`npm run failover\` (scripts/failover.ts).`,
    '',
    renderFailoverMarkdown(merged).trimEnd(),
    '',
  ].join('\n'),
);
const notesFile = path.join(reportsDir, `${reportName}-notes.json`);
const earlierNotes =
  argv.merge && (await fs.pathExists(notesFile)) ? ((JSON.parse(await fs.readFile(notesFile, 'utf8')) as { notes?: Record<string, string[]> }).notes ?? {}) : {};
await fs.writeFile(notesFile, `${JSON.stringify({ runId, runSeconds, notes: { ...earlierNotes, ...allNotes } }, null, 2)}\n`);
log(`${results.length} faults in ${runSeconds} s; report reports/${reportName}.{json,md}`);
// one timeline plot per fault (reports/<report>/*.svg) and their section of the markdown
const plots = await $({ nothrow: true, cwd: repoRoot })`node --import ./scripts/register-ts.mjs scripts/failover-plots.ts --report ${reportName}`;
log(plots.exitCode === 0 ? plots.stderr.trim() : `failover-plots failed: ${plots.stderr.trim()}`);
for (const problem of problems) console.log(`PROBLEM ${problem}`);
process.exitCode = problems.length ? 1 : 0;
