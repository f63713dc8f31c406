// npm run bench:deploy [-- --sizes 17,30,60] [--reruns 5] [--no-setting-change]
// The whole stack on lab hosts reached over SSH, at each size (VMHA_LAB_HOSTS, the smallest first):
// lab down, lab up, a cold site.yml and no-change re-runs (which must change nothing; the report
// takes their median: one run of a few seconds moves by a tenth with the lab's own load). At the
// smallest size also a one-setting change: the retention edited in the lab inventory, which must
// restart only the vmstorages, one at a time; the inventory is then put back and redeployed.
// Writes reports/bench-deploy.{json,md} (date, cores, per-host task counts, cost per added host,
// verdicts against issue #15's targets) and leaves the seed lab deployed.
import { cpus } from 'node:os';
import { $, fs, path } from 'zx';
import { parseCli, usageError } from './lib/cli.js';
import { fillMirror } from './lib/fill-mirror.js';
import { labSeedHostCount, labSizeFromEnv } from './lib/lab-topology.js';
import {
  benchVerdicts,
  changedHosts,
  median,
  parseRecap,
  renderDeployBench,
  restartEvents,
  rollingVerdict,
  taskCounts,
  type DeployBench,
  type SettingChangeResult,
  type SizeResult,
} from './lib/bench-deploy.js';
import { deployedHosts, siteDeployPlayNames } from './lib/site-run.js';

const USAGE = 'usage: npm run bench:deploy [-- --sizes 17,30,60] [--reruns 5] [--no-setting-change]';
const { values: args } = parseCli('bench:deploy', USAGE, {
  options: {
    sizes: { type: 'string', default: `${labSeedHostCount},30,60` },
    reruns: { type: 'string', default: '5' },
    'no-setting-change': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const sizes = args.sizes
  .split(',')
  .map((size) => {
    try {
      return labSizeFromEnv(size.trim());
    } catch (error) {
      // the lab's size rule, worded for this option (nothing has run yet)
      return usageError('bench:deploy', USAGE, `--sizes: ${(error as Error).message.replace(/^VMHA_LAB_HOSTS=/, '')}`);
    }
  })
  .sort((a, b) => a - b);

const reruns = Number(args.reruns);
if (!Number.isInteger(reruns) || reruns < 1 || reruns > 20) usageError('bench:deploy', USAGE, `--reruns: '${args.reruns}' is not a whole number from 1 to 20`);

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const venvBin = path.join(repoRoot, '.venv', 'bin');
const baseEnv = { ...process.env, PATH: `${venvBin}:${process.env.PATH ?? ''}` };
const inventory = path.join(repoRoot, '.lab', 'inventory');
const settingsFile = path.join(inventory, 'group_vars', 'all', 'vmha.yml');
const deployPlays = siteDeployPlayNames(path.join(repoRoot, 'ansible', 'site.yml'));
const log = (message: string) => console.error(`bench:deploy: ${message}`);

const sizeEnv = (hosts: number) => ({ ...baseEnv, VMHA_LAB_HOSTS: String(hosts) });
const lab = (hosts: number, ...command: string[]) =>
  $({ cwd: repoRoot, env: sizeEnv(hosts) })`node --import ./scripts/register-ts.mjs scripts/lab.ts ${command}`;

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = process.hrtime.bigint();
  const result = await work();
  return [result, Number(process.hrtime.bigint() - started) / 1e9];
}

/** Runs site.yml on the lab; a failed run ends the benchmark with the playbook's own output. */
async function sitePlaybook(hosts: number, what: string, convergeAll = false): Promise<[string, number]> {
  const env = { ...sizeEnv(hosts), VMHA_CONVERGE_ALL: convergeAll ? 'true' : 'false' };
  const [run, seconds] = await timed(() => $({ cwd: path.join(repoRoot, 'ansible'), env, nothrow: true })`ansible-playbook -i ${inventory} site.yml`);
  if (run.exitCode !== 0) {
    console.error(run.stdout.slice(-6000), run.stderr.slice(-2000));
    throw new Error(`${what}: ansible-playbook site.yml failed (exit ${run.exitCode}) at ${hosts} hosts; nothing written`);
  }
  log(`${what}, ${hosts} hosts: ${seconds.toFixed(1)} s`);
  return [run.stdout, seconds];
}

async function measureSize(hosts: number): Promise<SizeResult> {
  await lab(hosts, 'down');
  const [, labUpSeconds] = await timed(() => lab(hosts, 'up'));
  log(`lab up, ${hosts} hosts: ${labUpSeconds.toFixed(1)} s`);
  const [cold, coldSeconds] = await sitePlaybook(hosts, 'cold site.yml');
  const runs: [string, number][] = [];
  for (let i = 1; i <= reruns; i++) runs.push(await sitePlaybook(hosts, `no-change re-run ${i}/${reruns}`));
  const outputs = runs.map(([output]) => output);
  const union = (hostsOf: (output: string) => string[]) => [...new Set(outputs.flatMap(hostsOf))].sort();
  const [all, allSeconds] = await sitePlaybook(hosts, 'no-change re-run through every role', true);
  return {
    hosts,
    lab_up_seconds: labUpSeconds,
    cold_playbook_seconds: coldSeconds,
    rerun_seconds: median(runs.map(([, seconds]) => seconds)),
    rerun_samples: runs.map(([, seconds]) => seconds),
    cold_changed_hosts: changedHosts(cold).length,
    rerun_changed_hosts: union(changedHosts),
    cold_tasks: taskCounts(parseRecap(cold)),
    rerun_tasks: taskCounts(parseRecap(outputs.at(-1) ?? '')),
    rerun_deployed_hosts: union((output) => deployedHosts(output, deployPlays)),
    converge_all_seconds: allSeconds,
    converge_all_changed_hosts: changedHosts(all),
    converge_all_tasks: taskCounts(parseRecap(all)),
  };
}

/** The retention edited in the lab inventory (regenerated, as an operator does), site.yml, then put back. */
async function retentionChange(hosts: number): Promise<SettingChangeResult> {
  const original = await fs.readFile(settingsFile, 'utf8');
  const match = /^vmha_retention: (\S+)$/m.exec(original);
  if (!match?.[1]) throw new Error(`${settingsFile}: no vmha_retention line to edit`);
  const from = match[1];
  const to = from === '3M' ? '4M' : '3M';
  try {
    await fs.writeFile(settingsFile, original.replace(match[0], `vmha_retention: ${to}`));
    await $({ cwd: repoRoot, env: baseEnv })`node --import ./scripts/register-ts.mjs scripts/generate.ts -i ${inventory}`;
    const [output, seconds] = await sitePlaybook(hosts, `retention ${from} -> ${to}`);
    const rolling = rollingVerdict(restartEvents(output));
    return {
      setting: 'vmha_retention',
      from,
      to,
      seconds,
      changed_hosts: changedHosts(output),
      restarted_services: rolling.restartedServices,
      restarted_hosts: rolling.restartedHosts,
      rolling_problems: rolling.problems,
      tasks: taskCounts(parseRecap(output)),
    };
  } finally {
    // the lab's own inventory again (lab inventory rewrites vmha.yml and the generated vars), deployed
    await lab(hosts, 'inventory');
    await sitePlaybook(hosts, `retention back to ${from}`);
  }
}

const mirror = await fillMirror(baseEnv);
if (!mirror.usable || mirror.missingCluster) {
  throw new Error('the artifact mirror lacks the cluster tarball (npm run artifacts): the benchmark measures the whole stack only');
}

const results: SizeResult[] = [];
let settingChange: SettingChangeResult | undefined;

/** Written after every measured step: a later failure (a size this machine cannot hold) keeps what was measured. */
async function writeReport(): Promise<DeployBench> {
  const bench: DeployBench = {
    date: new Date().toISOString(),
    cores: cpus().length,
    scope: 'the whole stack (cluster tiers, load balancers, vmagents, node_exporter, alerting, backups)',
    connection: 'ssh (pipelining, ControlPersist) as on VMs, Mitogen linear strategy',
    sizes: results,
    ...(settingChange ? { setting_change: settingChange } : {}),
    targets: { cold_playbook_seconds: 120, rerun_seconds: 30, rerun_growth_at_largest: 2 },
  };
  await fs.outputJson(path.join(repoRoot, 'reports/bench-deploy.json'), bench, { spaces: 2 });
  await fs.outputFile(path.join(repoRoot, 'reports/bench-deploy.md'), renderDeployBench(bench));
  return bench;
}

for (const hosts of sizes) {
  results.push(await measureSize(hosts));
  await writeReport();
  if (hosts === sizes[0] && !args['no-setting-change']) {
    settingChange = await retentionChange(hosts);
    await writeReport();
  }
}
// leave the seed lab deployed, as `npm run lab` does
if (sizes.at(-1) !== labSeedHostCount) {
  await lab(labSeedHostCount, 'down');
  await lab(labSeedHostCount, 'up');
  await sitePlaybook(labSeedHostCount, 'seed lab redeployed');
}

const bench = await writeReport();
console.log(renderDeployBench(bench));
const missed = benchVerdicts(bench).filter((verdict) => !verdict.ok);
for (const verdict of missed) log(`OVER target: ${verdict.name}: ${verdict.value} (target ${verdict.target})`);
