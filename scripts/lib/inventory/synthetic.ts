// Builds synthetic inventories (hosts.yml and vmha.yml texts) of any size, for tests and the
// benchmark. Pure.
import { seedSize, TIERS, type OptionalGroup, type TierGroup } from '../components.js';
import { COMPONENT_SECRET_KEYS } from './schema.js';

/** Hosts per group: every tier, an optional group when wanted (node_exporter is every host). */
export type GroupSizes = Record<TierGroup, number> & Partial<Record<OptionalGroup, number>>;

/** The seed topology's tiers, in the order data flows. */
export const SEED_SIZES: GroupSizes = Object.fromEntries(TIERS.map((g) => [g, seedSize(g)])) as Record<TierGroup, number>;

/** Spreads `total` hosts over the groups like a large site (most hosts store data). */
export function sizesForTotal(total: number): GroupSizes {
  const rest = Math.max(total - 210, 15);
  const vminsert = Math.max(2, Math.floor(rest * 0.2));
  const vmselect = Math.max(2, Math.floor(rest * 0.2));
  const spread = { vmagent: 100, lb_insert: 50, lb_select: 50, grafana: 10, vminsert, vmselect, vmstorage: rest - vminsert - vmselect };
  // the spread's sizes in its order; a tier it does not size keeps its seed size
  return { ...spread, ...SEED_SIZES, ...spread };
}

/** The i-th address in 10.0.0.0/8, skipping .0 and .255 host parts. */
export function syntheticAddress(i: number): string {
  const host = (i % 254) + 1;
  const rest = Math.floor(i / 254);
  return `10.${Math.floor(rest / 256) % 256}.${rest % 256}.${host}`;
}

export interface SyntheticInventory {
  hostsYml: string;
  vmhaYml: string;
}

export function syntheticInventory(sizes: GroupSizes = SEED_SIZES): SyntheticInventory {
  const lines = ['all:', '  children:'];
  let index = 10;
  const groups = Object.keys(sizes) as (keyof GroupSizes)[];
  for (const group of groups) {
    lines.push(`    ${group}:`, '      hosts:');
    const prefix = group.replace('_', '-');
    for (let n = 1; n <= (sizes[group] ?? 0); n++) {
      lines.push(`        ${prefix}-${n}:`, `          ansible_host: ${syntheticAddress(index++)}`);
    }
  }
  lines.push('    node_exporter:', '      children:', ...groups.map((g) => `        ${g}:`));
  const rf = Math.min(2, sizes.vmstorage);
  const vmhaYml = [
    `vmha_replication_factor: ${rf}`,
    'vmha_scrape_interval: 15s',
    'vmha_dedup_interval: 15s',
    'vmha_retention: 2M',
    'vmha_write_dns_name: vm-write.example.internal',
    'vmha_read_dns_name: vm-read.example.internal',
    'vmha_write_username: vmagent',
    'vmha_write_password: "{{ vault_vmha_write_password }}"',
    'vmha_read_username: grafana',
    'vmha_read_password: "{{ vault_vmha_read_password }}"',
    ...COMPONENT_SECRET_KEYS.map((key) => `${key}: "{{ vault_${key} }}"`),
    '',
  ].join('\n');
  return { hostsYml: lines.join('\n') + '\n', vmhaYml };
}
