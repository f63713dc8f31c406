// `npm test`: the whole suite, in the order a failure is cheapest to find: types, unit tests,
// lint, the artifact mirror, then the Molecule scenarios on the lab hosts.
// Usage: npm test [-- --only typecheck,unit,lint,artifacts,molecule] [--scenario default,retention,failover,upgrade,restore,edge]
import { $, fs, path } from 'zx';
import { parseCli } from './lib/cli.js';
import { failureReasons, mochaFailures, parseMochaCounts, renderSummary, singleStep, type StepResult } from './lib/test-summary.js';
import { fillMirror } from './lib/fill-mirror.js';
import { Progress } from './lib/progress.js';

$.verbose = true;
const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(repoRoot);
const venvBin = path.join(repoRoot, '.venv', 'bin');
const env = { ...process.env, PATH: `${venvBin}:${process.env.PATH ?? ''}` };

const USAGE = 'usage: npm test [-- --only typecheck,unit,lint,artifacts,molecule] [--scenario <name>,...]';
const { values: args } = parseCli('test', USAGE, {
  options: {
    only: { type: 'string', default: 'typecheck,unit,lint,artifacts,molecule' },
    scenario: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const only = new Set(args.only.split(','));
const scenarioFilter = args.scenario ? new Set(args.scenario.split(',')) : undefined;
const steps: StepResult[] = [];
/** Printed right above the summary: CI keeps only the end of the log. */
const whyFailed: { step: string; reasons: string[] }[] = [];

// Each step prints `test [n] ...` lines with its time, and heartbeats while a long one runs.
const progress = new Progress({ label: 'test' });
async function timed<T>(name: string, work: () => Promise<T>): Promise<[T, number]> {
  const started = Date.now();
  const result = await progress.step(name, work, { streams: true });
  return [result, (Date.now() - started) / 1000];
}

if (only.has('typecheck')) {
  const [run, seconds] = await timed('typecheck', () => $({ env, nothrow: true })`npx tsc --noEmit`);
  steps.push(singleStep('typecheck (tsc --noEmit)', run.exitCode === 0 ? 'passed' : 'failed', seconds));
}

// Unit tests that run the real binaries of the artifact mirror. With the artifacts step in the run
// they wait for it (on a fresh clone the mirror is filled only then) and must not skip; alone
// (`--only unit`) they run with the others and skip, saying why, without a mirror.
const MIRROR_TESTS = ['test/alerting-rules.test.ts'];
const mirrorTestsAfterArtifacts = only.has('unit') && only.has('artifacts');

/** mocha with its JSON reporter writing to a file (counts and failures read from it, not from text). */
async function mochaStep(name: string, mochaArgs: string[], extraEnv: Record<string, string> = {}): Promise<void> {
  const resultFile = path.join(repoRoot, '.cache', 'mocha-result.json');
  await fs.remove(resultFile);
  const [run, seconds] = await timed(name, () =>
    $({ env: { ...env, ...extraEnv }, nothrow: true })`npx mocha ${mochaArgs} --reporter json --reporter-option output=${resultFile}`,
  );
  const json = (await fs.pathExists(resultFile)) ? await fs.readFile(resultFile, 'utf8') : '';
  for (const failure of mochaFailures(json)) console.log(`  unit test failed: ${failure}`);
  const counts = parseMochaCounts(json);
  if (counts === undefined) steps.push(singleStep(`${name} (mocha)`, 'failed', seconds, `mocha exited ${run.exitCode} without a result`));
  else steps.push({ name: `${name} (mocha)`, passed: counts.passing, failed: counts.failing, skipped: counts.pending, seconds });
}

if (only.has('unit')) {
  await mochaStep('unit tests', mirrorTestsAfterArtifacts ? MIRROR_TESTS.flatMap((file) => ['--ignore', file]) : []);
}

if (only.has('lint')) {
  const [run, seconds] = await timed('ansible-lint', () =>
    $({ env, nothrow: true, cwd: path.join(repoRoot, 'ansible') })`${venvBin}/ansible-lint --profile production`,
  );
  steps.push(singleStep('ansible-lint (production)', run.exitCode === 0 ? 'passed' : 'failed', seconds));
}

let missingClusterReason: string | undefined;
if (only.has('artifacts') || only.has('molecule')) {
  // Exit code 3 means "mirror filled with everything this machine can obtain": what is there is
  // still checksum-verified, so the step passes, and the gap is reported and skips the scenarios
  // that need the missing tarball.
  const [mirror, seconds] = await timed('artifact mirror', () => fillMirror(env));
  if (mirror.results.length === 0) missingClusterReason = 'artifact mirror printed no result';
  if (mirror.missingCluster) {
    missingClusterReason = `${path.basename(mirror.missingCluster.file)} unavailable on this machine (no cache, no official download, Go proxy refuses -cluster tags)`;
  }
  if (only.has('artifacts')) {
    steps.push(singleStep('artifact mirror (checksums)', mirror.usable ? 'passed' : 'failed', seconds, missingClusterReason));
  }
  if (mirrorTestsAfterArtifacts) {
    if (mirror.usable) await mochaStep('unit tests on the mirror\'s binaries', MIRROR_TESTS, { VMHA_TESTS_NEED_MIRROR: '1' });
    else steps.push(singleStep('unit tests on the mirror\'s binaries (mocha)', 'skipped', 0, 'blocked: the artifact mirror is not usable'));
  }
}

if (only.has('molecule')) {
  // Molecule links the lab inventory into its own directory before any step runs.
  await $({ env })`node --import ./scripts/register-ts.mjs scripts/lab.ts inventory`;
  // The CI profile: `default` builds the lab from nothing, deploys the whole stack, checks
  // idempotence and runs every verify part, and leaves the lab up; `retention`, `failover`,
  // `upgrade` and `restore` reuse it (create keeps running hosts; converge skips the deploy while the lab runs
  // exactly the code and inventory default deployed, see molecule/shared/converge.yml);
  // .ci/run tears it down at the end.
  // `edge` (stack without the cluster roles) is covered by default's tier checks and runs on
  // demand: npm test -- --scenario edge.
  const scenarios: { name: string; needsCluster: boolean; inCi: boolean }[] = [
    { name: 'default', needsCluster: true, inCi: true },
    { name: 'retention', needsCluster: true, inCi: true },
    { name: 'failover', needsCluster: true, inCi: true },
    { name: 'upgrade', needsCluster: true, inCi: true },
    // last: it recreates one vmstorage host, so the lab is no longer the one default deployed
    { name: 'restore', needsCluster: true, inCi: true },
    { name: 'edge', needsCluster: false, inCi: false },
  ];
  for (const scenario of scenarios) {
    if (scenarioFilter ? !scenarioFilter.has(scenario.name) : !scenario.inCi) continue;
    const label = `molecule test -s ${scenario.name}`;
    if (scenario.needsCluster && missingClusterReason !== undefined) {
      steps.push(singleStep(label, 'skipped', 0, `blocked: ${missingClusterReason}`));
      continue;
    }
    if (!(await fs.pathExists(path.join(repoRoot, 'molecule', scenario.name, 'molecule.yml')))) {
      steps.push(singleStep(label, 'failed', 0, 'scenario missing'));
      continue;
    }
    // --destroy never: a failing scenario leaves the lab to the next ones (.ci/run tears it down)
    const [run, seconds] = await timed(label, () => $({ env, nothrow: true })`${venvBin}/molecule test --destroy never -s ${scenario.name}`);
    steps.push(singleStep(label, run.exitCode === 0 ? 'passed' : 'failed', seconds));
    if (run.exitCode !== 0) whyFailed.push({ step: label, reasons: failureReasons(`${run.stdout}\n${run.stderr}`) });
  }
}

for (const { step, reasons } of whyFailed) {
  console.log(`\nWhy ${step} failed (its last failure lines):`);
  for (const reason of reasons.length ? reasons : ['no failure line found; see its output above']) console.log(`  ${reason}`);
}
console.log(renderSummary(steps));
process.exitCode = steps.some((step) => step.failed > 0) ? 1 : 0;
