// Verify step of Molecule scenario `default` (the whole stack): runs each part as its own
// process, in the order a failure is cheapest to read, and fails when any part fails.
//   edge          tiers around the cluster, firewall, DNS, auth at the load balancers, unit exposure
//   data-path     health, one deduplicated series per target, probe write/read, refused writes change nothing
//   site          `npm run verify -- -i .lab/inventory`, the operator's post-deploy check, passes; with
//                 one vmstorage stopped it must fail and name the health check
//   rerun         a no-change site.yml deploys no host (role deploy_record); a drifted secret file and a
//                 stopped unit get exactly their two hosts deployed and repaired
//   access-matrix every component endpoint from every host, with and without credentials
//   dashboards    every provisioned Grafana panel query returns data through the read DNS name
//   vmui          vmui in headless chromium through the read load balancer draws a probe series;
//                 then, with every vmselect stopped, the same check must fail
//   load          restarts with data, heavy reads, merges, snapshots, vmagent queue; no FATAL, no panic
//   alerting      the HA alerting pair: a healthy window with no notification (in the background while
//                 the read-only parts edge, access-matrix and dashboards run), then one vmstorage
//                 stopped: exactly one firing and one resolved notification at the witness
// Afterwards edge runs again: reports/unit-security.md is measured on units that passed the load check.
// `node scripts/verify/default.ts data-path 'vmui --vmselect-stopped'` runs only the named parts.
import { $, path } from 'zx';
import { parseCli } from '../lib/cli.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
// A part is a script under scripts/verify/ and its arguments; `&part` starts it in the background
// (its output is printed when it ends) and `wait` waits for every background part.
const allParts = [
  '&alerting --phase healthy', 'edge', 'access-matrix', 'dashboards', 'wait', 'alerting --phase fault',
  'data-path', 'site', 'rerun', 'vmui', 'vmui --vmselect-stopped', 'load', 'edge',
];
const USAGE = `usage: node --import ./scripts/register-ts.mjs scripts/verify/default.ts ['<part> [args]' ...]   (parts: ${[...new Set(allParts.map((p) => p.replace(/^&/, '')))].filter((p) => p !== 'wait').join(', ')})`;
// Positionals only: a part's own flags ('vmui --vmselect-stopped') travel inside its quoted word.
const { positionals: wanted } = parseCli('verify default', USAGE, {
  options: { help: { type: 'boolean', short: 'h' } },
  allowPositionals: true,
});
const parts = wanted.length > 0 ? wanted : allParts;
const results: { part: string; ok: boolean; seconds: number }[] = [];
const background: Promise<void>[] = [];

async function runPart(part: string, inBackground: boolean): Promise<void> {
  const started = Date.now();
  const [script, ...args] = part.split(' ');
  if (!inBackground) console.log(`\n=== verify part: ${part} ===`);
  const run = await $({ cwd: repoRoot, nothrow: true, stdio: ['ignore', inBackground ? 'pipe' : 'inherit', inBackground ? 'pipe' : 'inherit'] })`node --import ./scripts/register-ts.mjs ${`scripts/verify/${script}.ts`} ${args}`;
  if (inBackground) console.log(`\n=== verify part (ran in the background): ${part} ===\n${run.stdout}${run.stderr}`);
  results.push({ part, ok: run.exitCode === 0, seconds: Math.round((Date.now() - started) / 1000) });
}

for (const part of parts) {
  if (part === 'wait') await Promise.all(background.splice(0));
  else if (part.startsWith('&')) background.push(runPart(part.slice(1), true));
  else await runPart(part, false);
}
await Promise.all(background);
console.log('\nverify default:');
for (const r of results) console.log(`  ${r.ok ? 'PASS' : 'FAIL'} ${r.part} (${r.seconds} s)`);
process.exitCode = results.every((r) => r.ok) ? 0 : 1;
