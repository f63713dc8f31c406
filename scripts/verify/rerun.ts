// A no-change site.yml run skips the deploy on hosts exactly as their last deploy left them
// (role deploy_record), and a host that drifted is deployed again and repaired:
//   1. site.yml once, so every host carries the record of this exact code and inventory (Molecule's
//      own runs fingerprint its inventory copy, so this first run may deploy every host);
//   2. site.yml again: no host goes through a deploy play, changed=0 everywhere;
//   3. a secret file's mode loosened on a vminsert and node_exporter stopped on a vmagent: only those
//      two hosts are deployed, both are repaired (mode 0600 again, unit active), no other host changes;
//   4. site.yml again: no host deployed.
// Changes the lab (and repairs it): run under the lab lock.
import { $, path } from 'zx';
import { hostsInGroup } from '../lib/lab-topology.js';
import { changedHosts, parseRecap } from '../lib/bench-deploy.js';
import { deployedHosts, driftedHosts, siteDeployPlayNames } from '../lib/site-run.js';
import { CheckRecorder } from './check-recorder.js';
import { onHost } from './lab-client.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const deployPlays = siteDeployPlayNames(path.join(repoRoot, 'ansible', 'site.yml'));
// The operator's plain run with the project's ansible.cfg: Molecule's own ANSIBLE_CONFIG and its
// VMHA_CONVERGE_ALL (every host converged) are not passed on; plain text output to parse.
const { VMHA_CONVERGE_ALL: _convergeAll, ...inherited } = process.env;
const env = { ...inherited, ANSIBLE_CONFIG: path.join(repoRoot, 'ansible', 'ansible.cfg'), ANSIBLE_FORCE_COLOR: '0', ANSIBLE_NOCOLOR: '1' };
const checks = new CheckRecorder();

async function site(label: string): Promise<{ output: string; deployed: string[]; changed: string[]; seconds: number }> {
  const started = Date.now();
  const run = await $({ cwd: path.join(repoRoot, 'ansible'), env, nothrow: true, verbose: false })`../.venv/bin/ansible-playbook -i ../.lab/inventory site.yml`;
  const seconds = (Date.now() - started) / 1000;
  const output = run.stdout;
  if (run.exitCode !== 0) throw new Error(`${label}: site.yml failed (exit ${run.exitCode})\n${output.slice(-4000)}\n${run.stderr.slice(-2000)}`);
  const deployed = deployedHosts(output, deployPlays);
  const changed = changedHosts(output);
  console.log(`${label}: ${seconds.toFixed(1)} s, ${parseRecap(output).length} hosts, deployed: ${deployed.join(', ') || 'none'}, changed: ${changed.join(', ') || 'none'}`);
  return { output, deployed, changed, seconds };
}

const vminsert = hostsInGroup('vminsert').at(-1)?.name;
const vmagent = hostsInGroup('vmagent').at(-1)?.name;
if (!vminsert || !vmagent) throw new Error('lab topology has no vminsert or vmagent');
const secret = `/etc/vminsert/secrets/httpAuth.password`;

await site('settling run');

const quiet = await site('no-change run');
checks.expect('a no-change run deploys no host', quiet.deployed.length === 0, quiet.deployed.join(', '));
checks.expect('a no-change run changes no host', quiet.changed.length === 0, quiet.changed.join(', '));

await onHost(vminsert, `chmod 0644 ${secret}`);
await onHost(vmagent, 'systemctl stop node_exporter');
const repair = await site(`run after drift (${vminsert}: ${secret} mode 0644, ${vmagent}: node_exporter stopped)`);
const drifted = [vminsert, vmagent].sort();
checks.expect(`only the drifted hosts are deployed (${drifted.join(', ')})`, JSON.stringify(repair.deployed) === JSON.stringify(drifted), `deployed: ${repair.deployed.join(', ')}`);
checks.expect('the run names the drifted hosts', JSON.stringify(driftedHosts(repair.output)) === JSON.stringify(drifted), driftedHosts(repair.output).join(', '));
checks.expect('no other host changes', repair.changed.every((h) => drifted.includes(h)), repair.changed.join(', '));
const mode = (await onHost(vminsert, `stat -c %a ${secret}`)).stdout.trim();
checks.expect(`${vminsert}: ${secret} is mode 600 again`, mode === '600', `mode ${mode}`);
const state = (await onHost(vmagent, 'systemctl is-active node_exporter')).stdout.trim();
checks.expect(`${vmagent}: node_exporter is active again`, state === 'active', state);

const after = await site('no-change run after the repair');
checks.expect('the repaired hosts are current again: no host deployed or changed', after.deployed.length === 0 && after.changed.length === 0, `deployed: ${after.deployed.join(', ')}, changed: ${after.changed.join(', ')}`);

process.exitCode = checks.report('rerun') ? 0 : 1;
