// Pure parts of the deploy benchmark: reading Ansible's recap and rendering the report.

export interface DeployBench {
  date: string;
  hosts: number;
  cores: number;
  /** What was deployed (the whole topology, or which roles were skipped and why). */
  scope: string;
  lab_up_seconds: number;
  cold_playbook_seconds: number;
  cold_deploy_seconds: number;
  rerun_seconds: number;
  cold_changed_hosts: number;
  /** Hosts that reported changes on the no-change re-run (must be empty: idempotence). */
  rerun_changed_hosts: string[];
  targets: { cold_deploy_seconds: number; rerun_seconds: number };
}

/** Hosts with changed > 0 in an ansible-playbook PLAY RECAP. */
export function changedHosts(playbookOutput: string): string[] {
  const recap = playbookOutput.split('PLAY RECAP').at(-1) ?? '';
  const hosts: string[] = [];
  for (const match of recap.matchAll(/^(\S+)\s*:\s*ok=\d+\s+changed=(\d+)/gm)) {
    if (Number(match[2]) > 0 && match[1]) hosts.push(match[1]);
  }
  return hosts;
}

export function renderDeployBench(bench: DeployBench): string {
  const verdict = (value: number, target: number) => (value <= target ? 'within target' : 'OVER target');
  return [
    '# Deploy benchmark',
    '',
    `${bench.date}, ${bench.hosts} lab hosts, ${bench.cores} cores. Scope: ${bench.scope}.`,
    '',
    '| measure | seconds | target | verdict |',
    '|---|---|---|---|',
    `| lab up (containers, systemd, inventory) | ${bench.lab_up_seconds.toFixed(1)} | | |`,
    `| site.yml, cold | ${bench.cold_playbook_seconds.toFixed(1)} | | |`,
    `| cold deploy (lab up + site.yml) | ${bench.cold_deploy_seconds.toFixed(1)} | ${bench.targets.cold_deploy_seconds} | ${verdict(bench.cold_deploy_seconds, bench.targets.cold_deploy_seconds)} |`,
    `| no-change re-run of site.yml | ${bench.rerun_seconds.toFixed(1)} | ${bench.targets.rerun_seconds} | ${verdict(bench.rerun_seconds, bench.targets.rerun_seconds)} |`,
    '',
    `Hosts changed on the cold run: ${bench.cold_changed_hosts}. Hosts changed on the re-run: ${bench.rerun_changed_hosts.length === 0 ? 'none (idempotent)' : bench.rerun_changed_hosts.join(', ')}.`,
    '',
  ].join('\n');
}
