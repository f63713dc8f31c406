// File names, titles and the markdown section of the failover timeline plots. Pure.
import { faultName, type FaultResult } from './failover.js';

export const SECTION_BEGIN = '<!-- timelines: written by scripts/failover-plots.ts -->';
export const SECTION_END = '<!-- end of timelines -->';

/** `vmselect-stop.svg` */
export function plotFileName(result: Pick<FaultResult, 'component' | 'fault'>): string {
  return `${result.component}-${result.fault}.svg`.replace(/_/g, '-');
}

const seconds = (s: number): string => `${Math.round(s * 10) / 10} s`;

export function timelineTitle(result: FaultResult): string {
  return (
    `${faultName(result)}: write errors ${seconds(result.write_error_seconds)}, read errors ${seconds(result.read_error_seconds)}, ` +
    `recovery ${seconds(result.recovery_seconds)}, scrapes lost ${result.samples_lost}, probe writes lost ${result.direct_writes_lost}`
  );
}

/** The markdown section: one image per fault with a timeline, a line for those without. */
export function renderTimelineSection(results: readonly FaultResult[], report: string, domain: [number, number]): string {
  const lines = [
    SECTION_BEGIN,
    '## Timelines',
    '',
    `One plot per fault, all on the same time axis (${domain[0]} s to ${domain[1]} s from the fault's start). ` +
      'Top: seconds in which a write probe (1 Hz, through the write DNS name) or a read probe (1 Hz, through the read DNS name) failed. ' +
      'Middle: probe stream samples read back per dedup window (dashed: all of them). Bottom: samples per dedup window of one ' +
      "node_exporter target's deduplicated `up` series, on a host the fault does not touch (dashed: 1). Shaded: the fault applied.",
    '',
  ];
  for (const result of results) {
    if (result.timeline) lines.push(`![${faultName(result)}](${report}/${plotFileName(result)})`, '');
    else lines.push(`- ${faultName(result)}: no timeline recorded (run before timelines were kept)`, '');
  }
  lines.push(SECTION_END);
  return `${lines.join('\n')}\n`;
}

/** Replaces the section between the markers, or appends it; the rest of the markdown is kept. */
export function updateMarkdownSection(markdown: string, section: string): string {
  const begin = markdown.indexOf(SECTION_BEGIN);
  const end = markdown.indexOf(SECTION_END);
  if (begin >= 0 && end > begin) {
    const after = markdown.slice(end + SECTION_END.length).replace(/^\n/, '');
    return `${markdown.slice(0, begin)}${section}${after}`;
  }
  return `${markdown.replace(/\n*$/, '\n')}\n${section}`;
}
