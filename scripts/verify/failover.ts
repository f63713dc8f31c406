// Verify step of Molecule scenario `failover`: the fault driver with the fixed CI subset
// (ciFaultSubset in scripts/lib/failover.ts), reported in reports/failover-ci.{json,md}. The whole
// matrix is `npm run failover` (reports/failover.{json,md}). Fails when any fault loses a scraped
// sample, loses an acknowledged write without an explanation, fails reads for more than 5 s or
// answers a read with isPartial true.
import { $, path } from 'zx';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const run = await $({ cwd: repoRoot, nothrow: true, verbose: true })`node --import ./scripts/register-ts.mjs scripts/failover.ts --ci --report failover-ci`;
process.exitCode = run.exitCode ?? 1;
