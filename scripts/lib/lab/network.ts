// The lab's Docker network (labNetwork): created with the lab's label, removed only when labelled.
import { $, retry } from 'zx';
import { labHosts, labLabel, labNetwork } from '../lab-topology.js';
import { docker, dockerOk, LabError, log } from './common.js';

export async function ensureNetwork(): Promise<void> {
  const { name, subnet, gateway } = labNetwork;
  if (await dockerOk('network', 'inspect', name)) {
    const info = JSON.parse(await docker('network', 'inspect', name))[0];
    const actual = info?.IPAM?.Config?.[0]?.Subnet;
    if (actual !== subnet) {
      throw new LabError(`Docker network ${name} exists with subnet ${actual}, the lab needs ${subnet}: remove it (docker network rm ${name})`);
    }
    return;
  }
  log(`creating network ${name} ${subnet}`);
  await docker('network', 'create', '--driver', 'bridge', '--subnet', subnet, '--gateway', gateway, '--label', `${labLabel}=1`, name);
}

/**
 * Docker can keep endpoints of just-removed containers on the network for a moment ("has active
 * endpoints"), and a lab left behind by an interrupted run can hold stale ones: retry (bounded),
 * force-disconnecting what is left of the lab's own hosts, and say what blocks it in the end.
 */
async function removeLabNetwork(): Promise<void> {
  const attempts = 20;
  let last = '';
  const removeOnce = async (): Promise<void> => {
    const removed = await $({ nothrow: true, quiet: true })`docker network rm ${labNetwork.name}`;
    if (removed.exitCode === 0) return;
    last = removed.stderr.trim();
    const inspected = await $({ nothrow: true, quiet: true })`docker network inspect ${labNetwork.name}`;
    if (inspected.exitCode !== 0) return; // gone meanwhile
    const endpoints = Object.values((JSON.parse(inspected.stdout)[0]?.Containers ?? {}) as Record<string, { Name?: string }>);
    for (const endpoint of endpoints) {
      if (endpoint.Name && labHosts.some((h) => h.name === endpoint.Name)) {
        await dockerOk('network', 'disconnect', '--force', labNetwork.name, endpoint.Name);
      }
    }
    throw new Error(last);
  };
  try {
    await retry(attempts, 500, removeOnce);
  } catch {
    // Seen once after interrupted runs: endpoints no container owns any more, which only a restart of
    // the Docker engine clears (it drops stale endpoints when it starts).
    throw new LabError(`docker network rm ${labNetwork.name} failed ${attempts} times: ${last} (stale endpoints: restart the Docker engine, then run npm run lab -- down again)`);
  }
}

/** Removes the lab network when it carries the lab's label; leaves a foreign one alone. */
export async function removeNetwork(): Promise<void> {
  if (!(await dockerOk('network', 'inspect', labNetwork.name))) return;
  const labels = JSON.parse(await docker('network', 'inspect', labNetwork.name))[0]?.Labels ?? {};
  if (labels[labLabel] === '1') {
    await removeLabNetwork();
    log(`removed network ${labNetwork.name}`);
  } else {
    log(`network ${labNetwork.name} is not labelled ${labLabel}=1: left alone`);
  }
}
