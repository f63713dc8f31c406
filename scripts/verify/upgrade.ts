// Verify step of Molecule scenario `upgrade` (issue 12): a zero-loss rolling upgrade, counted.
//   1. the lab mirror gets the older release too (npm run artifacts -- --versions <pins with --from>);
//   2. upgrade.yml with a copy of the lab inventory whose vmha_version is --from (default 1.149.0)
//      moves the whole lab there, one host at a time (a rolling downgrade: VictoriaMetrics documents
//      downgrades as safe unless release notes say otherwise; 1.150.0's notes only change a default);
//   3. the failover scenario's probe load starts (1 Hz writes through the write DNS name, 1 Hz reads
//      through the read DNS name), upgrade.yml runs with the lab inventory (back to its release),
//      and then every acknowledged probe sample is read back with nocache=1 and every read counted.
// Writes reports/upgrade.{json,md}; fails on a lost sample, a failed read, a host not on the release.
//
// --gate-failure instead shows that a failing gate stops the run: after step 2, upgrade.yml runs
// while the last vmstorage is stopped as soon as the first vmstorage reports the new release; the
// run must stop with hosts left on the old release, and a re-run after the vmstorage is started
// again must finish. Writes reports/upgrade-gate-failure.{json,md}.
//
// The lab is left on the lab inventory's release, healthy. Run under the lab lock:
//   flock /tmp/vmha-lab.lock node --import ./scripts/register-ts.mjs scripts/verify/upgrade.ts [--from 1.149.0] [--gate-failure]
import { parseArgs } from 'node:util';
import yaml from 'js-yaml';
import { $, fs, path, sleep } from 'zx';
import { countLost } from '../lib/failover.js';
import { hostsInGroup, labClusterSettings } from '../lib/lab-topology.js';
import {
  appVersion,
  parseJsonlEvents,
  renderGateFailureMarkdown,
  renderUpgradeJson,
  renderUpgradeMarkdown,
  taskRuns,
  upgradePlan,
  upgradeSteps,
  validateGateFailure,
  validateUpgradeReport,
  type GateFailureDemo,
  type HostVersions,
  type UpgradeReport,
  type UpgradeStep,
} from '../lib/upgrade.js';
import { makeClient } from './dns-client.js';
import { onHost } from './lab-client.js';
import { Reader, Writer, missedScrapesIn, readProbeSamples } from './probe-load.js';

$.verbose = false;
const { values: args } = parseArgs({
  options: { from: { type: 'string', default: '1.149.0' }, 'gate-failure': { type: 'boolean', default: false } },
});
const from = args.from!;
if (!/^\d+\.\d+\.\d+$/.test(from)) throw new Error(`--from: '${from}' is not a release like 1.149.0`);

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const labInventory = path.join(repoRoot, '.lab/inventory');
const workDir = path.join(repoRoot, '.cache/upgrade');
const reportsDir = path.join(repoRoot, 'reports');
const log = (message: string): void => console.log(`${new Date().toISOString().slice(11, 19)} upgrade: ${message}`);
const scrapeSeconds = Number.parseInt(labClusterSettings.scrape_interval, 10);

const generated = yaml.load(await fs.readFile(path.join(labInventory, 'group_vars/all/zz-generated.yml'), 'utf8')) as Record<string, unknown>;
const to = String(generated.vmha_artifact_victoriametrics_version);
if (from === to) throw new Error(`--from ${from} is the lab inventory's release already`);

const plan = upgradePlan(Object.fromEntries(['vmstorage', 'vminsert', 'vmselect', 'vmagent'].map((g) => [g, hostsInGroup(g as never).map((h) => h.name)])));
const portOf: Record<string, number> = { vmstorage: 8482, vminsert: 8480, vmselect: 8481, vmagent: 8429 };

/** The release the service on `host` reports now (vm_app_version on its /metrics), '' without an answer. */
async function runningVersion(host: string, component: string): Promise<string> {
  const key = `/etc/${component}/secrets/metricsAuthKey`;
  const url = `http://127.0.0.1:${portOf[component]}/metrics`;
  const run = await onHost(host, `if [ -f ${key} ]; then curl -s --max-time 5 -G --data-urlencode authKey@${key} ${url}; else curl -s --max-time 5 ${url}; fi`);
  return appVersion(run.stdout);
}

async function versions(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const { host, component } of plan) out.set(host, await runningVersion(host, component));
  return out;
}

/** The mirror serves `version` too: npm run artifacts with the pins of ansible/versions.yml but that release. */
async function ensureArtifacts(version: string): Promise<void> {
  const pins = yaml.load(await fs.readFile(path.join(repoRoot, 'ansible/versions.yml'), 'utf8')) as Record<string, Record<string, string>>;
  pins.victoriametrics!.version = version;
  const file = path.join(workDir, `versions-${version}.yml`);
  await fs.outputFile(file, yaml.dump(pins));
  log(`artifact mirror: VictoriaMetrics ${version} (cluster tarball from the offline mirror, vmutils built from the Go module proxy when not cached)`);
  const older = await $({ cwd: repoRoot, nothrow: true })`npm run --silent artifacts -- --versions ${file}`;
  if (older.exitCode !== 0) throw new Error(`npm run artifacts -- --versions ${file} exited ${older.exitCode}:\n${older.stderr.trim()}`);
  // The default run again: its listing (MIRROR.txt) names the pinned versions, and they stay verified.
  const pinned = await $({ cwd: repoRoot, nothrow: true })`npm run --silent artifacts`;
  if (pinned.exitCode !== 0) throw new Error(`npm run artifacts exited ${pinned.exitCode}:\n${pinned.stderr.trim()}`);
}

/** A copy of the lab inventory with vmha_version set, and its generated vars. */
async function inventoryAt(version: string): Promise<string> {
  const dir = path.join(workDir, `inventory-${version}`);
  await fs.remove(dir);
  await fs.copy(labInventory, dir);
  const settings = path.join(dir, 'group_vars/all/vmha.yml');
  const text = (await fs.readFile(settings, 'utf8')).replace(/^vmha_version:.*\n/m, '');
  await fs.writeFile(settings, `${text.trimEnd()}\nvmha_version: "${version}"\n`);
  const gen = await $({ cwd: repoRoot, nothrow: true })`node --import ./scripts/register-ts.mjs scripts/generate.ts -i ${dir}`;
  if (gen.exitCode !== 0) throw new Error(`generate -i ${dir} failed: ${gen.stdout}${gen.stderr}`);
  return dir;
}

interface PlaybookRun {
  exitCode: number;
  seconds: number;
  steps: UpgradeStep[];
}

/** ansible-playbook upgrade.yml with the jsonl callback; the raw output is kept in .cache/upgrade/. */
async function upgradePlaybook(inventory: string, label: string): Promise<PlaybookRun> {
  const started = Date.now();
  log(`${label}: ansible-playbook -i ${path.relative(repoRoot, inventory)} upgrade.yml`);
  const run = await $({
    cwd: path.join(repoRoot, 'ansible'),
    nothrow: true,
    env: { ...process.env, ANSIBLE_STDOUT_CALLBACK: 'ansible.posix.jsonl' },
  })`../.venv/bin/ansible-playbook -i ${inventory} upgrade.yml`;
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  await fs.outputFile(path.join(workDir, `${label}.jsonl`), run.stdout);
  const steps = upgradeSteps(taskRuns(parseJsonlEvents(run.stdout)));
  for (const s of steps) {
    log(
      `  ${s.host}: ${s.upgraded ? s.change : 'already on the release'} (gate ${s.gate_before_seconds} s, role ${s.upgrade_seconds} s, gates ${s.gate_after_seconds} s)` +
        (s.failed ? ` FAILED ${s.failed.task}: ${s.failed.message}` : ''),
    );
  }
  log(`${label}: exit ${run.exitCode} after ${seconds} s`);
  if (run.exitCode !== 0 && !steps.some((s) => s.failed)) log(`${label}: stderr ${run.stderr.trim().slice(-2000)}`);
  return { exitCode: run.exitCode ?? 1, seconds, steps };
}

async function waitHealthy(host: string, component: string): Promise<boolean> {
  for (let i = 0; i < 120; i++) {
    const run = await onHost(host, `systemctl is-active --quiet ${component} && curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://127.0.0.1:${portOf[component]}/health`);
    if (run.exitCode === 0 && run.stdout.trim() === '200') return true;
    await sleep(1000);
  }
  return false;
}

const context =
  `Lab: 15 systemd hosts (3 vmstorage, 2 vminsert, 2 vmselect, 3 vmagent), replication factor ${labClusterSettings.replication_factor}, ` +
  `scrape interval ${scrapeSeconds} s. \`ansible-playbook upgrade.yml\` in the order VictoriaMetrics documents ` +
  '("Updating / reconfiguring cluster nodes", no downtime strategy: vmstorage, vminsert, vmselect; vmagent last), one host at a time, ' +
  'each gated (cluster whole before; host active, /health 200 and on the release, cluster whole after). Probe load of the failover scenario: ' +
  '1 sample/s written through the write DNS name (resent until acknowledged), count(up) read 1/s through the read DNS name ' +
  '(both balancers round robin, the other one after 2 s), all counted afterwards with nocache=1. Written by scripts/verify/upgrade.ts.';

await fs.ensureDir(workDir);
const lastStorage = hostsInGroup('vmstorage').at(-1)!.name;
let exitCode = 1;
try {
  await ensureArtifacts(from);
  const olderInventory = await inventoryAt(from);
  const prepare = await upgradePlaybook(olderInventory, `to-${from}`);
  if (prepare.exitCode !== 0) throw new Error(`upgrade.yml to ${from} failed (exit ${prepare.exitCode})`);
  const before = await versions();
  const notOld = [...before].filter(([, v]) => v !== from);
  if (notOld.length) throw new Error(`after upgrade.yml to ${from}: ${notOld.map(([h, v]) => `${h} runs ${v || 'nothing'}`).join(', ')}`);

  if (args['gate-failure']) {
    // Stop the last vmstorage as soon as the first vmstorage runs the new release.
    const firstStorage = hostsInGroup('vmstorage')[0]!.name;
    const playbook = upgradePlaybook(labInventory, `gate-failure-${to}`);
    let faulted = false;
    for (let i = 0; i < 600 && !faulted; i++) {
      if ((await runningVersion(firstStorage, 'vmstorage')) === to) {
        await onHost(lastStorage, 'systemctl stop vmstorage');
        faulted = true;
        log(`${firstStorage} runs ${to}: stopped vmstorage on ${lastStorage}`);
      } else await sleep(500);
    }
    const stopped = await playbook;
    const during = await versions();
    await onHost(lastStorage, 'systemctl start vmstorage');
    if (!(await waitHealthy(lastStorage, 'vmstorage'))) log(`${lastStorage} not healthy after its start`);
    const failedStep = stopped.steps.find((s) => s.failed);
    const resumedRun = await upgradePlaybook(labInventory, `gate-failure-resume-${to}`);
    const after = await versions();
    const demo: GateFailureDemo = {
      from,
      to,
      fault: faulted ? `vmstorage stopped on ${lastStorage} as soon as ${firstStorage} ran ${to}` : 'none (the first vmstorage never reported the new release)',
      exit_code: stopped.exitCode,
      stopped_at: failedStep ? `${failedStep.host}: ${failedStep.failed!.task}: ${failedStep.failed!.message}` : '',
      upgraded_hosts: [...during].filter(([, v]) => v === to).map(([h]) => h),
      old_hosts: [...during].filter(([, v]) => v === from).map(([h]) => h),
      resumed: resumedRun.exitCode === 0 && [...after.values()].every((v) => v === to),
    };
    await fs.outputFile(path.join(reportsDir, 'upgrade-gate-failure.json'), `${JSON.stringify({ ...demo, steps: stopped.steps, resume_steps: resumedRun.steps }, null, 2)}\n`);
    await fs.outputFile(path.join(reportsDir, 'upgrade-gate-failure.md'), renderGateFailureMarkdown(demo, context));
    const problems = validateGateFailure(demo);
    for (const problem of problems) console.log(`PROBLEM ${problem}`);
    log(`gate failure demo: ${problems.length ? 'FAILED' : 'passed'}; reports/upgrade-gate-failure.md`);
    exitCode = problems.length ? 1 : 0;
  } else {
    const client = await makeClient();
    const runId = Date.now().toString(36);
    const metric = 'vmha_upgrade_probe';
    const writer = new Writer(client, { metric, runId, slots: scrapeSeconds });
    const reader = new Reader(client);
    const streamStartMs = Date.now();
    writer.start();
    reader.start();
    await sleep(5000);
    let upgrade: PlaybookRun;
    try {
      upgrade = await upgradePlaybook(labInventory, `to-${to}`);
      await sleep(5000);
      for (let i = 0; i < 120 && writer.pendingCount() > 0; i++) await sleep(500);
    } finally {
      await writer.stop();
      await reader.stop();
    }
    const endMs = Date.now();
    await sleep(3 * scrapeSeconds * 1000); // vminsert buffers and vmagent sends land before counting
    const acked = [...writer.acked.keys()];
    const observed = await readProbeSamples(client, metric, runId, streamStartMs - 1000, endMs + 1000);
    const loss = countLost(acked, observed);
    const scraped = await missedScrapesIn(client, streamStartMs, endMs);
    const after = await versions();
    const hosts: HostVersions[] = plan.map(({ host, component }) => ({ host, component, before: before.get(host) ?? '', after: after.get(host) ?? '' }));
    const report: UpgradeReport = {
      from,
      to,
      prepare_seconds: prepare.seconds,
      upgrade_seconds: upgrade.seconds,
      playbook_exit_code: upgrade.exitCode,
      samples_written: acked.length,
      samples_read_back: acked.length - loss.lost,
      samples_lost: loss.lost,
      reads: reader.probes.length,
      failed_reads: reader.probes.filter((p) => !p.ok).length,
      partial_reads: reader.probes.filter((p) => p.partial).length,
      scraped_samples_lost: scraped.lost,
      failed_read_details: reader.probes.filter((p) => !p.ok).slice(0, 5).map((p) => `${new Date(p.atMs).toISOString().slice(11, 19)} ${p.detail}`),
      steps: upgrade.steps,
      hosts,
    };
    await fs.outputFile(path.join(reportsDir, 'upgrade.json'), renderUpgradeJson(report));
    await fs.outputFile(path.join(reportsDir, 'upgrade.md'), renderUpgradeMarkdown(report, context));
    for (const note of scraped.detail) log(`  scrapes: ${note}`);
    const problems = validateUpgradeReport(report);
    for (const problem of problems) console.log(`PROBLEM ${problem}`);
    log(
      `upgrade ${from} -> ${to} in ${report.upgrade_seconds} s: samples lost ${report.samples_lost}/${report.samples_written}, ` +
        `failed reads ${report.failed_reads}/${report.reads}, scraped samples lost ${report.scraped_samples_lost}; reports/upgrade.md`,
    );
    exitCode = problems.length ? 1 : 0;
  }
} finally {
  // Leave the lab on the lab inventory's release, healthy: a failed run is finished here.
  await onHost(lastStorage, 'systemctl start vmstorage');
  const now = await versions();
  if ([...now.values()].some((v) => v !== to)) {
    log(`the lab is not on ${to} everywhere: running upgrade.yml with the lab inventory`);
    const restore = await upgradePlaybook(labInventory, `restore-${to}`);
    if (restore.exitCode !== 0) exitCode = 1;
  }
  await fs.remove(path.join(workDir, `inventory-${from}`));
}
process.exitCode = exitCode;
