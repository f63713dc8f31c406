// The lab is reached as VMs are: over SSH. `lab up` makes one key pair (.lab/ssh/), puts its public
// key into every host's /root/.ssh/authorized_keys and waits until sshd answers; the inventory
// points Ansible at the private key. `docker exec` stays for lab plumbing only (boot, faults, teardown).
import { existsSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { $ } from 'zx';
import { LAB_SSH_COMMON_ARGS } from '../lab-inventory.js';
import type { LabHost } from '../lab-topology.js';
import { pollUntil } from '../poll.js';
import { labDir, LabError, log } from './common.js';

export const sshKeyFile = path.join(labDir, 'ssh', 'id_ed25519');
const sshWaitSeconds = 60;

/** Makes the lab's key pair once; later runs keep it (hosts already trust it). */
export async function ensureSshKey(): Promise<void> {
  if (existsSync(sshKeyFile) && existsSync(`${sshKeyFile}.pub`)) return;
  await fsp.mkdir(path.dirname(sshKeyFile), { recursive: true, mode: 0o700 });
  await fsp.rm(sshKeyFile, { force: true });
  await $({ quiet: true })`ssh-keygen -q -t ed25519 -N ${''} -C vmha-lab -f ${sshKeyFile}`;
  log(`made the lab's SSH key ${path.relative(path.dirname(labDir), sshKeyFile)}`);
}

/** Installs the lab's public key for root (idempotent: the file is rewritten with the same key). */
async function authorize(host: LabHost, publicKey: string): Promise<void> {
  const run = await $({ nothrow: true, quiet: true, input: publicKey })`docker exec -i ${host.name} sh -c ${'umask 077 && mkdir -p /root/.ssh && cat > /root/.ssh/authorized_keys'}`;
  if (run.exitCode !== 0) throw new LabError(`${host.name}: could not install the lab's SSH key: ${run.stderr.trim()}`);
}

async function sshAnswers(host: LabHost): Promise<boolean> {
  const args = [...LAB_SSH_COMMON_ARGS.split(' '), '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=3', '-i', sshKeyFile];
  return (await $({ nothrow: true, quiet: true })`ssh ${args} root@${host.address} true`).exitCode === 0;
}

/** Every host accepts the lab's key over SSH (bounded wait: sshd starts with systemd). */
export async function ensureSshAccess(hosts: readonly LabHost[]): Promise<void> {
  await ensureSshKey();
  const publicKey = await fsp.readFile(`${sshKeyFile}.pub`, 'utf8');
  await Promise.all(hosts.map((h) => authorize(h, publicKey)));
  const waited = await Promise.all(
    hosts.map(async (h) => [h, (await pollUntil(() => sshAnswers(h), Boolean, { everyMs: 500, seconds: sshWaitSeconds })).value] as const),
  );
  const silent = waited.filter(([, ok]) => !ok).map(([h]) => `${h.name} (${h.address})`);
  if (silent.length > 0) {
    throw new LabError(
      `sshd did not accept the lab's key within ${sshWaitSeconds} s on ${silent.join(', ')}` +
        ` (a host made from an older base image has no sshd: npm run lab -- down, then up)`,
    );
  }
}
