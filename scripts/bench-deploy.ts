// npm run bench -- deploy: cold deploy time of the lab topology and the time of a no-change
// re-run of site.yml. Writes reports/bench-deploy.{json,md}. Targets on a 2-core machine: cold
// deploy under 4 minutes, re-run under 60 seconds. Where the cluster tarball is unavailable it
// measures the tiers that can be deployed (--skip-tags of the cluster roles) and says so.
import { $, fs, path } from 'zx';
import { VM_CLUSTER_ROLE_TAGS } from './lib/artifacts.js';
import { fillMirror } from './lib/fill-mirror.js';
import { labHosts } from './lib/lab-topology.js';
import { changedHosts, parseRecap, renderDeployBench, taskCounts, type DeployBench } from './lib/bench-deploy.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const venvBin = path.join(repoRoot, '.venv', 'bin');
const env = { ...process.env, PATH: `${venvBin}:${process.env.PATH ?? ''}` };
const lab = (...args: string[]) => $({ cwd: repoRoot, env })`node --import ./scripts/register-ts.mjs scripts/lab.ts ${args}`;

async function seconds(work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const mirror = await fillMirror(env);
if (!mirror.usable) throw new Error(`npm run artifacts failed (exit ${mirror.exitCode}); nothing measured:\n${mirror.stderr.slice(-2000)}`);
const clusterMissing = mirror.missingCluster !== undefined;
const skip = clusterMissing ? ['--skip-tags', VM_CLUSTER_ROLE_TAGS] : [];

await lab('down');
const labUpSeconds = await seconds(() => lab('up'));
/** Runs site.yml; a failed run ends the benchmark with the playbook's own output. */
async function sitePlaybook(): Promise<string> {
  const run = await $({ cwd: path.join(repoRoot, 'ansible'), env, nothrow: true })`ansible-playbook -i ../.lab/inventory site.yml ${skip}`;
  if (run.exitCode !== 0) {
    console.error(run.stdout.slice(-4000), run.stderr.slice(-2000));
    throw new Error(`ansible-playbook site.yml failed (exit ${run.exitCode}); nothing measured`);
  }
  return run.stdout;
}

let coldOutput = '';
const coldPlaybookSeconds = await seconds(async () => {
  coldOutput = await sitePlaybook();
});
let rerunOutput = '';
const rerunSeconds = await seconds(async () => {
  rerunOutput = await sitePlaybook();
});

// Minimal adaptation to the issue #15 API of lib/bench-deploy.ts (one size, no setting change);
// the new benchmark (sizes, setting change) replaces this.
const bench: DeployBench = {
  date: new Date().toISOString(),
  cores: (await import('node:os')).cpus().length,
  scope: clusterMissing
    ? 'all hosts; cluster roles (vmstorage, vminsert, vmselect) skipped: their release tarball is unavailable on this machine'
    : 'the whole seed topology',
  connection: 'as the lab inventory sets it',
  sizes: [
    {
      hosts: labHosts.length,
      lab_up_seconds: labUpSeconds,
      cold_playbook_seconds: coldPlaybookSeconds,
      rerun_seconds: rerunSeconds,
      cold_changed_hosts: changedHosts(coldOutput).length,
      rerun_changed_hosts: changedHosts(rerunOutput),
      cold_tasks: taskCounts(parseRecap(coldOutput)),
      rerun_tasks: taskCounts(parseRecap(rerunOutput)),
    },
  ],
  targets: { cold_deploy_seconds: 120, rerun_seconds: 30, rerun_growth_at_largest: 2 },
};
await fs.outputJson(path.join(repoRoot, 'reports/bench-deploy.json'), bench, { spaces: 2 });
await fs.outputFile(path.join(repoRoot, 'reports/bench-deploy.md'), renderDeployBench(bench));
console.log(renderDeployBench(bench));
