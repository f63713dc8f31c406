// What a site.yml run did, read from its default (stdout) output: which hosts went through the
// deploy plays and which were left out as current (role deploy_record). The deploy plays are the
// plays of site.yml whose host pattern takes only group vmha_deploy_needed.
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';

const NEEDED_GROUP = 'vmha_deploy_needed';

/** Names of the plays of a playbook that skip current hosts. */
export function deployPlayNames(playbookText: string): string[] {
  const plays = (yaml.load(playbookText) ?? []) as { name?: string; hosts?: string }[];
  return plays.filter((p) => typeof p.hosts === 'string' && p.hosts.endsWith(`:&${NEEDED_GROUP}`)).map((p) => p.name ?? '');
}

export function siteDeployPlayNames(sitePath: string): string[] {
  return deployPlayNames(readFileSync(sitePath, 'utf8'));
}

/** Hosts with a task result in any of the named plays, sorted. */
export function deployedHosts(output: string, playNames: string[]): string[] {
  const hosts = new Set<string>();
  let inDeployPlay = false;
  for (const line of output.split('\n')) {
    const play = /^PLAY \[(.*)\] \**$/.exec(line);
    if (play) inDeployPlay = playNames.includes(play[1] ?? '');
    else if (inDeployPlay) {
      // "ok: [vmagent-1 -> localhost]" is vmagent-1's result of a task delegated to the controller
      const result = /^(?:ok|changed|skipping|failed|fatal|included): \[([^\]\s]+)/.exec(line);
      if (result?.[1]) hosts.add(result[1]);
    }
  }
  return [...hosts].sort();
}

/** Hosts deploy_record found drifted ("<host> drifted from its last deploy: ..."), sorted. */
export function driftedHosts(output: string): string[] {
  return [...new Set([...output.matchAll(/msg: '?(\S+) drifted from its last deploy: /g)].map((m) => m[1] ?? ''))].sort();
}
