// Facts written in more than one language stay the same fact: each test reads the copy the other
// side keeps and compares it with the TypeScript source.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { DURATION_PATTERN } from '../scripts/lib/inventory/schema.js';
import { SEED_SIZES } from '../scripts/lib/inventory/synthetic.js';
import { hostsInGroup } from '../scripts/lib/lab-topology.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const preflight = (role: string) => readFileSync(path.join(repoRoot, 'ansible/roles', role, 'tasks/preflight.yml'), 'utf8');

describe('one source for each fact', () => {
  // VictoriaMetrics parses these flags as Go durations, where 0s is valid, but
  // -dedup.minScrapeInterval=0 turns deduplication off (lib/storage/dedup.go: "De-duplication is
  // disabled if interval is 0") and a 0s scrape interval is no interval: vmha needs both positive.
  for (const [role, variable] of [
    ['vmstorage', 'vmstorage_dedup_min_scrape_interval'],
    ['vmselect', 'vmselect_dedup_min_scrape_interval'],
    ['vmagent', 'vmagent_scrape_interval'],
  ] as const) {
    it(`${role} preflight checks ${variable} with the inventory's DURATION_PATTERN`, () => {
      const match = new RegExp(`${variable} is match\\('([^']*)'\\)`).exec(preflight(role));
      expect(match, `${role}/tasks/preflight.yml checks ${variable}`).to.not.equal(null);
      expect(match![1]).to.equal(DURATION_PATTERN);
      expect(new RegExp(match![1]!).test('0s')).to.equal(false);
    });
  }

  // The seed group sizes: SEED_SIZES (synthetic inventories) is the source; the lab topology takes
  // them from it and the example inventory is written by hand, so it is compared here.
  it('the example inventory and the lab have the seed group sizes of SEED_SIZES', () => {
    const example = yaml.load(readFileSync(path.join(repoRoot, 'ansible/inventories/example/hosts.yml'), 'utf8')) as {
      all: { children: Record<string, { hosts?: Record<string, unknown> }> };
    };
    for (const [group, size] of Object.entries(SEED_SIZES)) {
      expect(Object.keys(example.all.children[group]?.hosts ?? {}).length, `example ${group}`).to.equal(size);
      expect(hostsInGroup(group as keyof typeof SEED_SIZES).length, `lab ${group}`).to.equal(size);
    }
  });
});
