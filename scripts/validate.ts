// npm run validate -- -i <inventory> [--json]
// Checks an inventory against the schemas and the topology and security rules.
// Exit 0: valid (warnings allowed); 1: errors; 2: bad usage or path.
import { parseCli } from './lib/cli.js';
import { formatFinding, reportJson } from './lib/inventory/index.js';
import { InventoryPathError, resolveCliPath, validateInventory } from './lib/inventory/read.js';

const USAGE =
  'usage: npm run validate -- -i <inventory directory or hosts file> [--json] [--vault-password-file <file>]\n' +
  '  reads the inventory with .venv/bin/ansible-inventory (cached by the files\' hashes); vaulted secrets are checked\n' +
  '  only with a vault password (--vault-password-file, or ANSIBLE_VAULT_PASSWORD_FILE)';

function main(): number {
  const { values } = parseCli('validate', USAGE, {
    options: {
      inventory: { type: 'string', short: 'i' },
      json: { type: 'boolean', default: false },
      'vault-password-file': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  let report;
  try {
    const vaultPasswordFile = values['vault-password-file'] ? resolveCliPath(values['vault-password-file']) : undefined;
    report = validateInventory(resolveCliPath(values.inventory ?? ''), { vaultPasswordFile });
  } catch (err) {
    // a bug or an input nobody foresaw: still one named finding, in both output forms
    const known = err instanceof InventoryPathError;
    const finding = {
      file: values.inventory ?? '',
      line: null,
      rule: known ? 'inventory-path' : 'internal-error',
      message: known ? (err as Error).message : `validate failed: ${String((err as Error)?.message ?? err).split('\n')[0]}`,
      fix: known ? USAGE : 'report this with the inventory that caused it; the files named in earlier findings may be the cause',
    };
    if (values.json) console.log(JSON.stringify({ ok: false, errors: [finding], warnings: [] }, null, 2));
    else console.error(`validate: ${finding.message}\n${known ? USAGE : `    fix: ${finding.fix}`}`);
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
