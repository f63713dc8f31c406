// SVG of an inventory's topology: reads the inventory through inventory/read.ts (read-only, as
// generateVars does) and renders the DOT of diagram.ts with Graphviz compiled to WebAssembly
// (@viz-js/viz, pinned). Shared by `npm run diagram` and the test that keeps reports/topology.svg fresh.
import { instance, type Viz } from '@viz-js/viz';
import { renderTopologyDot, topologyFromInventory } from './diagram.js';
import { deriveVars } from './inventory/derive.js';
import { validateSourcesWithModel, type ValidationReport } from './inventory/index.js';
import { readInventory } from './inventory/read.js';

let viz: Promise<Viz> | undefined;

/** SVG bytes of a DOT text (deterministic for one Graphviz build). */
export async function renderSvg(dot: string): Promise<{ svg: string; graphvizVersion: string }> {
  viz ??= instance();
  const v = await viz;
  const result = v.render(dot, { format: 'svg', engine: 'dot' });
  if (result.status !== 'success') {
    throw new Error(`graphviz: ${result.errors.map((e) => `${e.level ?? 'error'}: ${e.message}`).join('; ')}`);
  }
  return { svg: result.output, graphvizVersion: v.graphvizVersion };
}

export interface RenderedDiagram {
  report: ValidationReport;
  dot: string | undefined;
  svg: string | undefined;
  graphvizVersion: string | undefined;
}

/** Validates the inventory at `input` and draws it; dot/svg undefined when validation failed. Throws InventoryPathError. */
export async function renderInventoryDiagram(input: string): Promise<RenderedDiagram> {
  const { sources } = readInventory(input);
  const { model, ...report } = validateSourcesWithModel(sources);
  if (!report.ok || !model) return { report, dot: undefined, svg: undefined, graphvizVersion: undefined };
  const dot = renderTopologyDot(topologyFromInventory(model, deriveVars(model)));
  const { svg, graphvizVersion } = await renderSvg(dot);
  return { report, dot, svg, graphvizVersion };
}
