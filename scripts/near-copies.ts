// Counts YAML/Jinja near-copies under ansible/roles (method in scripts/lib/near-copies.ts).
// node --import ./scripts/register-ts.mjs scripts/near-copies.ts [--min-lines 5] [--json] [--list]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { findNearCopies, type SourceFile } from './lib/near-copies.js';

const { values } = parseArgs({
  options: {
    'min-lines': { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
    root: { type: 'string', default: 'ansible/roles' },
  },
});

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const root = values.root!;
const files: SourceFile[] = walk(root)
  .filter((p) => /\.(ya?ml|j2)$/.test(p))
  .sort()
  .map((p) => ({ path: p, role: relative(root, p).split(sep)[0] ?? '', text: readFileSync(p, 'utf8') }));
const report = findNearCopies(files, Number(values['min-lines']));
if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  if (values.list) for (const r of report.runs) console.log(`${r.path}:${r.startLine}-${r.endLine} (${r.lines} lines)`);
  console.log(
    `${report.files} YAML/Jinja files under ${root}: ${report.runs.length} near-copied runs of >= ${report.minLines} normalised lines, ${report.copiedLines} lines`,
  );
}
