// `lab up`, `lab down` and `lab deploy`: the parts put together in order.
import * as path from 'node:path';
import { $ } from 'zx';
import { VM_CLUSTER_ROLE_TAGS } from '../artifacts.js';
import { fillMirror } from '../fill-mirror.js';
import { labClusterVars } from '../lab-inventory.js';
import { hostsInGroup, labHosts, labPorts, labScheme } from '../lab-topology.js';
import { elapsed, inventoryDir, LabError, log, repoRoot, tlsDir } from './common.js';
import { ensureHost, ensureInotifyInstances, removeHosts, waitForSystemd } from './containers.js';
import { ensureImage } from './image.js';
import { writeInventory } from './inventory.js';
import { ensureBackupStore } from './backup-store.js';
import { ensureMirror, stopMirror } from './mirror.js';
import { ensureNetwork, removeNetwork } from './network.js';
import { ensureSshAccess } from './ssh.js';
import { Progress } from '../progress.js';

/** Steps of `lab up`; `lab deploy` adds the mirror fill, site.yml and the smoke check. */
const UP_STEPS = 8;

export async function up(progress = new Progress({ label: 'lab', total: UP_STEPS })): Promise<void> {
  const start = Date.now();
  const image = await progress.step('base image', () => ensureImage(), { streams: true });
  await progress.step('network', () => ensureNetwork(), { streams: true });
  await ensureInotifyInstances(labHosts.length);
  await progress.step(`${labHosts.length} hosts`, () => Promise.all(labHosts.map((h) => ensureHost(h, image))), { streams: true });
  await progress.step('systemd booted on every host', () => waitForSystemd(labHosts));
  await progress.step('SSH access with the lab key', () => ensureSshAccess(labHosts));
  await progress.step('inventory', () => writeInventory());
  await progress.step('artifact mirror server', () => ensureMirror(), { streams: true });
  // the backups' destination (lab only): the inventory above holds its S3 secret
  await progress.step('backup store (SeaweedFS S3)', () => ensureBackupStore(), { streams: true });
  log(`up: ${labHosts.length} hosts ready in ${elapsed(start)}; inventory ${path.relative(repoRoot, inventoryDir)}/`);
}

export async function down(): Promise<void> {
  await removeHosts();
  await removeNetwork();
  await stopMirror();
}

/** Fills the artifact mirror; returns why the cluster tarball is missing, if it is. */
async function ensureArtifacts(): Promise<string | undefined> {
  const mirror = await fillMirror();
  if (!mirror.usable) {
    throw new LabError(`npm run artifacts failed (exit ${mirror.exitCode}):\n${mirror.stderr.slice(-2000)}`);
  }
  const cluster = mirror.missingCluster;
  return cluster ? `${path.basename(cluster.file)}: ${cluster.reason}` : undefined;
}

export async function deploy(edgeOnly: boolean): Promise<void> {
  const start = Date.now();
  const progress = new Progress({ label: 'lab', total: UP_STEPS + 3 });
  await up(progress);
  const missingCluster = await progress.step('artifacts (cache, offline mirror, or a build)', () => ensureArtifacts());
  if (missingCluster !== undefined && !edgeOnly) {
    throw new LabError(
      `the VictoriaMetrics cluster tarball is not in the mirror, so vmstorage, vminsert and vmselect cannot be deployed:\n  ${missingCluster}\n` +
        `Put the official release tarball and its _checksums.txt into ~/.cache/vmha/artifacts/victoriametrics/v<version>/ and run again,\n` +
        `or deploy the tiers that have binaries: npm run lab -- deploy --edge`,
    );
  }
  const venvBin = path.join(repoRoot, '.venv', 'bin');
  const limit = edgeOnly ? ['--skip-tags', VM_CLUSTER_ROLE_TAGS] : [];
  const playbook = await progress.step(`ansible-playbook site.yml ${limit.join(' ')}`.trim(), () => $({
    nothrow: true,
    cwd: path.join(repoRoot, 'ansible'),
    env: { ...process.env, PATH: `${venvBin}:${process.env.PATH ?? ''}` },
    stdio: ['inherit', 'inherit', 'inherit'],
  })`${venvBin}/ansible-playbook -i ${inventoryDir} site.yml ${limit}`, { streams: true });
  if (playbook.exitCode !== 0) throw new LabError(`ansible-playbook site.yml failed (exit ${playbook.exitCode}); see its output above`);
  const check = edgeOnly ? 'scripts/verify/edge.ts' : 'scripts/verify/data-path.ts';
  const verify = await progress.step(`smoke check ${check}`, () =>
    $({ nothrow: true, cwd: repoRoot, stdio: ['inherit', 'inherit', 'inherit'] })`node --import ./scripts/register-ts.mjs ${check}`, { streams: true });
  if (verify.exitCode !== 0) throw new LabError(`${check} found problems; see above`);
  log(`deployed in ${elapsed(start)}`);
  const [lb] = hostsInGroup('lb_select');
  console.log(
    edgeOnly
      ? 'Edge tiers deployed and verified. The cluster tiers need the cluster tarball (see README, "Status").'
      : `Stack deployed. Graphs: vmui at ${labScheme}://${lb?.address}:${labPorts.lb_select}/select/0/vmui/ (user ${labClusterVars(tlsDir).vmha_read_username}, password in .lab/inventory/group_vars/all/secrets.yml, CA .lab/tls/ca.crt); npm run lab -- status --json prints write_url and read_url.`,
  );
}
