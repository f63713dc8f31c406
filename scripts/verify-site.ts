// npm run verify -- -i <inventory> [--vault-password-file <file>] [--limit <hosts>]
// The post-deploy checks of any vmha site (ansible/verify.yml over Ansible's own connection: SSH on
// real VMs, docker in the lab): health of every unit, one deduplicated series per target, a probe
// written and read back through the DNS names, refusals at the load balancers, firewall isolation.
// Prints one line per named check; exit 0 when all pass, 1 when one fails, 2 on bad usage.
import { parseArgs } from 'node:util';
import { $, fs, path } from 'zx';
import { resolveCliPath } from './lib/inventory/read.js';
import { renderChecks, summarizeChecks } from './lib/site-checks.js';

const USAGE = 'usage: npm run verify -- -i <inventory directory or hosts file> [--vault-password-file <file>] [--limit <hosts>]';
const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

let values;
try {
  ({ values } = parseArgs({
    options: {
      inventory: { type: 'string', short: 'i' },
      'vault-password-file': { type: 'string' },
      limit: { type: 'string', short: 'l' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (error) {
  console.error(`verify: ${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const inventory = values.inventory ? path.resolve(resolveCliPath(values.inventory)) : '';
if (!inventory || !(await fs.pathExists(inventory))) {
  console.error(`verify: ${inventory ? `no inventory at ${inventory}` : 'no inventory given'}\n${USAGE}`);
  process.exit(2);
}
const extra: string[] = [];
if (values['vault-password-file']) extra.push('--vault-password-file', path.resolve(resolveCliPath(values['vault-password-file'])));
if (values.limit) extra.push('--limit', values.limit);

const venvBin = path.join(repoRoot, '.venv', 'bin');
const run = await $({
  cwd: path.join(repoRoot, 'ansible'),
  nothrow: true,
  verbose: true,
  // The project's own ansible.cfg whoever calls this (Molecule exports its own ANSIBLE_CONFIG), and
  // failures on stdout, where the named checks are read from (display_failed_stderr moves them).
  env: {
    ...process.env,
    PATH: `${venvBin}:${process.env.PATH ?? ''}`,
    ANSIBLE_CONFIG: path.join(repoRoot, 'ansible', 'ansible.cfg'),
    ANSIBLE_DISPLAY_FAILED_STDERR: 'false',
    ANSIBLE_FORCE_COLOR: '0',
  },
})`${venvBin}/ansible-playbook -i ${inventory} verify.yml ${extra}`;
console.log(`\nverify ${inventory}:`);
console.log(renderChecks(summarizeChecks(run.stdout), run.exitCode !== 0));
process.exitCode = run.exitCode === 0 ? 0 : 1;
