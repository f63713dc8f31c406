// npm run generate -- -i <inventory> [--check] [--stdout]
// Writes the derived role variables to <inventory>/group_vars/all/zz-generated.yml after a
// successful validation. --check writes nothing and exits 1 when the file is stale or missing.
// --schemas (re)writes schemas/*.schema.json from scripts/lib/inventory/schema.ts.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseCli } from './lib/cli.js';
import { formatFinding } from './lib/inventory/index.js';
import { checkGenerated, generateVars, InventoryPathError, resolveCliPath } from './lib/inventory/read.js';

const USAGE = 'usage: npm run generate -- -i <inventory directory or hosts file> [--check] [--stdout] [--vault-password-file <file>] | --schemas';

async function main(): Promise<number> {
  const { values } = parseCli('generate', USAGE, {
    options: {
      inventory: { type: 'string', short: 'i' },
      check: { type: 'boolean', default: false },
      'vault-password-file': { type: 'string' },
      stdout: { type: 'boolean', default: false },
      schemas: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.schemas) {
    const { renderSchemaFiles, SCHEMAS_DIR } = await import('./lib/inventory/schema-files.js');
    for (const [name, text] of Object.entries(renderSchemaFiles())) {
      writeFileSync(path.join(SCHEMAS_DIR, name), text);
      console.error(`generate: wrote ${path.join(SCHEMAS_DIR, name)}`);
    }
    return 0;
  }
  let result;
  try {
    const vaultPasswordFile = values['vault-password-file'] ? resolveCliPath(values['vault-password-file']) : undefined;
    result = generateVars(resolveCliPath(values.inventory ?? ''), { vaultPasswordFile });
  } catch (err) {
    if (!(err instanceof InventoryPathError)) throw err;
    console.error(`generate: ${err.message}\n${USAGE}`);
    return 2;
  }
  for (const f of [...result.report.errors, ...result.report.warnings]) console.error(formatFinding(f));
  if (!result.report.ok || result.text === undefined) {
    console.error(`generate: ${values.inventory} is not valid (${result.report.errors.length} error(s)); nothing written`);
    return 1;
  }
  if (values.stdout) {
    process.stdout.write(result.text);
    return 0;
  }
  if (values.check) {
    const check = checkGenerated(result);
    if (check.upToDate) {
      console.error(`generate: ${result.generatedPath} is up to date`);
      return 0;
    }
    console.error(`generate: ${result.generatedPath} is stale:`);
    for (const line of check.differences) console.error(`  ${line}`);
    console.error(`fix: run npm run generate -- -i ${values.inventory}`);
    return 1;
  }
  mkdirSync(path.dirname(result.generatedPath), { recursive: true });
  writeFileSync(result.generatedPath, result.text);
  console.error(`generate: wrote ${result.generatedPath}`);
  return 0;
}

process.exitCode = await main();
