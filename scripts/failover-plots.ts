// Failover timelines as plots: one small SVG per fault of reports/<report>.json (the entries with
// a `timeline`, written by scripts/failover.ts), on one shared time axis, rendered server-side
// with vega-lite + vega (no browser). Writes reports/<report>/<component>-<fault>.svg and the
// "Timelines" section of reports/<report>.md (kept between markers; the rest of the file is the driver's).
//
// Usage: node --import ./scripts/register-ts.mjs scripts/failover-plots.ts [--report failover] [--check]
//   --check  writes nothing; exits 1 when an SVG or the markdown section is stale or missing
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseCli } from './lib/cli.js';
import { faultName, type FaultResult } from './lib/failover.js';
import { plotFileName, renderTimelineSection, timelineTitle, updateMarkdownSection } from './lib/failover-plots.js';
import { renderVegaLiteSvg, sharedDomain, timelineSpec, type FaultTimeline } from './lib/failover-timeline.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

const USAGE = 'usage: node --import ./scripts/register-ts.mjs scripts/failover-plots.ts [--report failover] [--check]';

async function main(): Promise<number> {
  const { values } = parseCli('failover-plots', USAGE, {
    options: {
      report: { type: 'string', default: 'failover' },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const report = values.report!;
  if (!/^[a-z0-9-]+$/.test(report)) throw new Error(`--report: '${report}' is not a plain report name`);
  const jsonFile = path.join(repoRoot, 'reports', `${report}.json`);
  const mdFile = path.join(repoRoot, 'reports', `${report}.md`);
  if (!existsSync(jsonFile)) {
    console.error(`failover-plots: ${jsonFile} does not exist (run npm run failover first)`);
    return 1;
  }
  const results = JSON.parse(readFileSync(jsonFile, 'utf8')) as FaultResult[];
  const withTimeline = results.filter((r): r is FaultResult & { timeline: FaultTimeline } => r.timeline !== undefined);
  const domain = sharedDomain(withTimeline.map((r) => r.timeline));
  const outDir = path.join(repoRoot, 'reports', report);
  const stale: string[] = [];
  const written: string[] = [];
  for (const result of withTimeline) {
    const file = path.join(outDir, plotFileName(result));
    const svg = await renderVegaLiteSvg(timelineSpec(result.timeline, { domain, title: timelineTitle(result) }));
    const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    if (current === svg) continue;
    if (values.check) {
      stale.push(path.relative(repoRoot, file));
      continue;
    }
    mkdirSync(outDir, { recursive: true });
    writeFileSync(file, svg);
    written.push(path.relative(repoRoot, file));
  }
  const section = renderTimelineSection(results, report, domain);
  const md = existsSync(mdFile) ? readFileSync(mdFile, 'utf8') : `# Failover\n`;
  const updated = updateMarkdownSection(md, section);
  if (updated !== md) {
    if (values.check) stale.push(path.relative(repoRoot, mdFile));
    else writeFileSync(mdFile, updated);
  }
  if (values.check) {
    for (const file of stale) console.error(`failover-plots: ${file} is stale`);
    return stale.length ? 1 : 0;
  }
  const missing = results.filter((r) => r.timeline === undefined).map(faultName);
  console.error(
    `failover-plots: ${withTimeline.length} timelines (${written.length} SVGs rewritten) in reports/${report}/, section in reports/${report}.md` +
      (missing.length ? `; no timeline recorded for ${missing.join(', ')}` : ''),
  );
  return 0;
}

process.exitCode = await main();
