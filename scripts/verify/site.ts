// The operator's post-deploy check, run on the lab exactly as on a real site: `npm run verify -- -i
// .lab/inventory` (ansible/verify.yml over Ansible's own connection) must pass; then, with vmstorage
// stopped on one host, the same command must fail, and name the `health` check. vmstorage is started
// again (and must answer /health) before this exits. Changes the lab: run under the lab lock.
import { $, path, retry, sleep } from 'zx';
import { hostsInGroup, labPorts } from '../lib/lab-topology.js';
import { onHost } from './lab-client.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const verify = () =>
  $({ cwd: repoRoot, nothrow: true, verbose: false })`node --import ./scripts/register-ts.mjs scripts/verify-site.ts -i .lab/inventory`;
const summary = (stdout: string) => stdout.slice(stdout.lastIndexOf('\nverify ')).trim();
let failures = 0;

const healthy = await verify();
console.log(summary(healthy.stdout));
if (healthy.exitCode === 0) console.log('PASS npm run verify passes on the healthy lab');
else {
  failures++;
  console.log(`FAIL npm run verify on the healthy lab exited ${healthy.exitCode}\n${healthy.stdout.slice(-3000)}`);
}

const [victim] = hostsInGroup('vmstorage');
if (!victim) throw new Error('lab topology has no vmstorage');
await onHost(victim.name, 'systemctl stop vmstorage');
try {
  const stopped = await verify();
  console.log(summary(stopped.stdout));
  const named = /FAILED check\(s\):.*\bhealth\b/.test(stopped.stdout) && stopped.stdout.includes(victim.name);
  if (stopped.exitCode !== 0 && named) console.log(`PASS with vmstorage stopped on ${victim.name}, npm run verify fails and names the health check and the host`);
  else {
    failures++;
    console.log(`FAIL with vmstorage stopped on ${victim.name}: exit ${stopped.exitCode}, health check named: ${named}\n${stopped.stdout.slice(-6000)}\n${stopped.stderr.slice(-2000)}`);
  }
} finally {
  await onHost(victim.name, 'systemctl start vmstorage');
  await retry(60, '1s', async () => {
    const health = await onHost(victim.name, `curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://127.0.0.1:${labPorts.vmstorage_http}/health`);
    if (health.stdout.trim() !== '200') throw new Error(`${victim.name} vmstorage /health: ${health.stdout}`);
  });
  // vminsert/vmselect reconnect to the restarted node within their retry interval
  await sleep(2000);
}
process.exitCode = failures === 0 ? 0 : 1;
