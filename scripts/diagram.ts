// npm run diagram -- -i <inventory> [-o <file.svg>] [--check] [--dot]
// Renders the inventory's topology (every host by tier, write and read paths with DNS names and
// ports, the scrape cluster's assignment, the replication factor) as SVG with Graphviz compiled
// to WebAssembly (@viz-js/viz, pinned in package.json; no system Graphviz needed).
// Default output: <inventory>/topology.svg. --check writes nothing and exits 1 when the file is
// stale (the example's is reports/topology.svg: `npm run diagram -- -i ansible/inventories/example -o reports/topology.svg`).
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseCli } from './lib/cli.js';
import { formatFinding } from './lib/inventory/index.js';
import { InventoryPathError, resolveCliPath } from './lib/inventory/read.js';
import { renderInventoryDiagram } from './lib/diagram-svg.js';

const USAGE = 'usage: npm run diagram -- -i <inventory directory or hosts file> [-o <file.svg>] [--check] [--dot]';

async function main(): Promise<number> {
  const { values } = parseCli('diagram', USAGE, {
    options: {
      inventory: { type: 'string', short: 'i' },
      output: { type: 'string', short: 'o' },
      check: { type: 'boolean', default: false },
      dot: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const input = resolveCliPath(values.inventory ?? '');
  let rendered;
  try {
    rendered = await renderInventoryDiagram(input);
  } catch (err) {
    if (!(err instanceof InventoryPathError)) throw err;
    console.error(`diagram: ${err.message}\n${USAGE}`);
    return 2;
  }
  for (const f of [...rendered.report.errors, ...rendered.report.warnings]) console.error(formatFinding(f));
  if (rendered.svg === undefined || rendered.dot === undefined) {
    console.error(`diagram: ${values.inventory} is not valid (${rendered.report.errors.length} error(s)); nothing drawn`);
    return 1;
  }
  if (values.dot) {
    process.stdout.write(rendered.dot);
    return 0;
  }
  const inventoryDir = statSync(input).isDirectory() ? input : path.dirname(input);
  const output = values.output ? resolveCliPath(values.output) : path.join(inventoryDir, 'topology.svg');
  if (values.check) {
    if (existsSync(output) && readFileSync(output, 'utf8') === rendered.svg) {
      console.error(`diagram: ${output} is up to date`);
      return 0;
    }
    console.error(`diagram: ${output} is stale or missing\nfix: run npm run diagram -- -i ${values.inventory}${values.output ? ` -o ${values.output}` : ''}`);
    return 1;
  }
  mkdirSync(path.dirname(output), { recursive: true });
  writeFileSync(output, rendered.svg);
  console.error(`diagram: wrote ${output} (${rendered.svg.length} bytes, Graphviz ${rendered.graphvizVersion})`);
  return 0;
}

process.exitCode = await main();
