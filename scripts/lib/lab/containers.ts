// The lab's host containers: one per inventory host, systemd as PID 1, fixed address.
import * as fsp from 'node:fs/promises';
import { $ } from 'zx';
import { type LabHost, labLabel, labNetwork } from '../lab-topology.js';
import { pollUntil } from '../poll.js';
import { docker, LabError, log } from './common.js';

const systemdWaitSeconds = 120;

export interface ContainerState {
  exists: boolean;
  running: boolean;
  labelled: boolean;
  image: string;
}

export async function containerState(name: string): Promise<ContainerState> {
  const out = await $({ nothrow: true, quiet: true })`docker container inspect ${name}`;
  if (out.exitCode !== 0) return { exists: false, running: false, labelled: false, image: '' };
  const info = JSON.parse(out.stdout)[0];
  return {
    exists: true,
    running: info?.State?.Running === true,
    labelled: info?.Config?.Labels?.[labLabel] === '1',
    image: info?.Config?.Image ?? '',
  };
}

/** The flags that boot systemd as PID 1 here (DEVELOPERS.md "Lab facts"); --privileged fails. */
function runArgs(host: LabHost, image: string): string[] {
  return [
    'run', '--detach',
    '--name', host.name,
    '--hostname', host.name,
    '--label', `${labLabel}=1`,
    '--network', labNetwork.name,
    '--ip', host.address,
    '--cap-add', 'SYS_ADMIN',
    '--cap-add', 'NET_ADMIN',
    '--security-opt', 'seccomp=unconfined',
    '--cgroupns=host',
    '--volume', '/sys/fs/cgroup:/sys/fs/cgroup:rw',
    '--tmpfs', '/run',
    '--tmpfs', '/run/lock',
    // systemd shuts down cleanly on SIGRTMIN+3 (docker import cannot set STOPSIGNAL).
    '--stop-signal', 'SIGRTMIN+3',
    image,
    '/sbin/init',
  ];
}

export async function ensureHost(host: LabHost, image: string): Promise<void> {
  const state = await containerState(host.name);
  if (state.exists && !state.labelled) {
    throw new LabError(`a container named ${host.name} exists but is not part of the lab (no ${labLabel} label): rename or remove it`);
  }
  if (state.running) {
    if (state.image !== image) log(`${host.name}: kept, runs the older image ${state.image} (lab down + up to rebuild)`);
    return;
  }
  if (state.exists) {
    log(`${host.name}: starting`);
    await docker('start', host.name);
    return;
  }
  log(`${host.name}: creating ${host.address}`);
  await docker(...runArgs(host, image));
}

// Each host's systemd takes several inotify instances of the one (root) user all containers share;
// at the kernel's default of 128 the 31st host's systemd dies at boot (exit 255, no log).
const inotifyInstancesFile = '/proc/sys/fs/inotify/max_user_instances';
const inotifyInstancesPerHost = 16;

/** Raises fs.inotify.max_user_instances for `hosts` systemd containers when it is lower (never lowers it). */
export async function ensureInotifyInstances(hosts: number): Promise<void> {
  const want = Math.max(1024, hosts * inotifyInstancesPerHost);
  const have = Number((await fsp.readFile(inotifyInstancesFile, 'utf8')).trim());
  if (have >= want) return;
  try {
    await fsp.writeFile(inotifyInstancesFile, String(want));
  } catch (err) {
    throw new LabError(`${hosts} lab hosts need fs.inotify.max_user_instances >= ${want} (now ${have}) and it could not be raised: ${(err as Error).message} (run: sysctl -w fs.inotify.max_user_instances=${want})`);
  }
  log(`raised fs.inotify.max_user_instances from ${have} to ${want} (every host's systemd takes several)`);
}

/** Removes every container that carries the lab's label. */
export async function removeHosts(): Promise<void> {
  const ids = (await docker('ps', '--all', '--quiet', '--filter', `label=${labLabel}=1`)).split('\n').filter(Boolean);
  if (ids.length > 0) {
    log(`removing ${ids.length} containers`);
    await docker('rm', '--force', '--volumes', ...ids);
  }
}

/** systemd's own verdict (running, degraded, starting, ...); empty while PID 1 is not reachable yet. */
export async function systemdState(name: string, waitSeconds = 0): Promise<string> {
  const cmd = waitSeconds > 0
    ? ['timeout', String(waitSeconds), 'systemctl', 'is-system-running', '--wait']
    : ['systemctl', 'is-system-running'];
  const out = await $({ nothrow: true, quiet: true })`docker exec ${name} ${cmd}`;
  return out.stdout.trim();
}

/** Waits (bounded) until systemd finished booting; right after `docker run` the bus may not answer yet. */
async function bootedState(name: string): Promise<string> {
  const deadline = Date.now() + systemdWaitSeconds * 1000;
  const waitingState = () => systemdState(name, Math.max(1, Math.ceil((deadline - Date.now()) / 1000)));
  const { value: state } = await pollUntil(waitingState, (s) => s === 'running' || s === 'degraded', { everyMs: 500, seconds: systemdWaitSeconds });
  return state || 'unreachable';
}

export async function waitForSystemd(hosts: readonly LabHost[]): Promise<void> {
  const states = await Promise.all(hosts.map(async (h) => [h.name, await bootedState(h.name)] as const));
  const bad = states.filter(([, s]) => s !== 'running' && s !== 'degraded');
  if (bad.length > 0) {
    const hint = bad.map(([n, s]) => `${n}: ${s}`).join(', ');
    throw new LabError(`systemd did not finish booting within ${systemdWaitSeconds} s on ${hint} (look with: docker exec <host> systemctl --failed)`);
  }
  const degraded = states.filter(([, s]) => s === 'degraded').map(([n]) => n);
  if (degraded.length > 0) log(`degraded (a unit failed, see systemctl --failed): ${degraded.join(', ')}`);
}
