// npm run lab -- <up|down|status [--json]|deploy>   (no subcommand = deploy)
//
// The lab: one Docker container per inventory host (systemd as PID 1), on the fixed network
// of scripts/lib/lab-topology.ts, plus the artifact mirror on 127.0.0.1.
//   up      build the base image if its recipe changed, create the network and the host
//           containers (running ones are kept), wait for systemd in each, write the inventory
//           to .lab/inventory/ and start the mirror server
//   down    remove the lab's containers, its network and the mirror server it started
//   inventory  only (re)write .lab/inventory/ (Molecule links it before any host exists)
//   status  table of hosts (--json: machine-readable, see statusReport())
//   deploy  up, fill the artifact mirror, validate + generate the inventory, run site.yml, then
//           the smoke check (--edge: only the tiers that do not need the cluster tarball)
// The parts live in scripts/lib/lab/ (image, network, containers, pki, inventory, mirror, status, lifecycle).
import { parseArgs } from 'node:util';
import { $ } from 'zx';
import { dockerOk, LabError } from './lib/lab/common.js';
import { writeInventory } from './lib/lab/inventory.js';
import { deploy, down, up } from './lib/lab/lifecycle.js';
import { printStatus } from './lib/lab/status.js';

$.quiet = true;
$.verbose = false;

const usage = `usage: npm run lab -- <up | down | inventory | status [--json] | deploy [--edge]>   (no subcommand = deploy)`;

/** The flags each subcommand takes. */
const allowed: Record<string, string[]> = { up: [], down: [], inventory: [], deploy: ['edge'], status: ['json'] };

async function main(argv: string[]): Promise<number> {
  // Not strict: an unknown flag is reported below with the subcommand's name, as before.
  const { values, positionals } = parseArgs({
    args: argv,
    strict: false,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, edge: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command = 'deploy', ...extra] = positionals;
  if (values.help || command === 'help') {
    console.log(usage);
    return 0;
  }
  const known = allowed[command];
  if (!known) {
    console.error(`lab: unknown subcommand '${command}'\n${usage}`);
    return 2;
  }
  const unknown = [
    ...extra,
    ...Object.keys(values).filter((flag) => !known.includes(flag)).map((flag) => `--${flag}`),
  ];
  if (unknown.length > 0) {
    console.error(`lab ${command}: unknown argument ${unknown.join(' ')}\n${usage}`);
    return 2;
  }
  if (command === 'inventory') {
    await writeInventory();
    return 0;
  }
  if (!(await dockerOk('info'))) {
    console.error('lab: the Docker engine does not answer (docker info failed): run bash scripts/ensure-toolchain.sh');
    return 1;
  }
  if (command === 'up') await up();
  else if (command === 'down') await down();
  else if (command === 'status') await printStatus(values.json === true);
  else await deploy(values.edge === true);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`lab: ERROR: ${err instanceof LabError ? err.message : (err as Error).stack ?? err}`);
    process.exit(1);
  },
);
