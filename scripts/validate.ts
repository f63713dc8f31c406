// npm run validate -- -i <inventory> [--json]
// Checks an inventory against the schemas and the topology and security rules.
// Exit 0: valid (warnings allowed); 1: errors; 2: bad usage or path.
import { parseArgs } from 'node:util';
import { formatFinding, reportJson } from './lib/inventory/index.js';
import { InventoryPathError, resolveCliPath, validateInventory } from './lib/inventory/read.js';

const USAGE = 'usage: npm run validate -- -i <inventory directory or hosts file> [--json]';

function main(): number {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        inventory: { type: 'string', short: 'i' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    console.error(`validate: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let report;
  try {
    report = validateInventory(resolveCliPath(values.inventory ?? ''));
  } catch (err) {
    if (!(err instanceof InventoryPathError)) throw err;
    if (values.json) {
      const finding = { file: values.inventory ?? '', line: null, rule: 'inventory-path', message: err.message, fix: USAGE };
      console.log(JSON.stringify({ ok: false, errors: [finding], warnings: [] }, null, 2));
    } else console.error(`validate: ${err.message}\n${USAGE}`);
    return 2;
  }
  if (values.json) {
    console.log(JSON.stringify(reportJson(report), null, 2));
  } else {
    for (const f of [...report.errors, ...report.warnings]) console.error(formatFinding(f));
    console.error(
      report.ok
        ? `validate: ${values.inventory} is valid${report.warnings.length ? ` (${report.warnings.length} warning(s))` : ''}`
        : `validate: ${values.inventory}: ${report.errors.length} error(s), ${report.warnings.length} warning(s)`,
    );
  }
  return report.ok ? 0 : 1;
}

process.exitCode = main();
