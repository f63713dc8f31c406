// The topology diagram: vmagent's scrape shard (xxhash64 and the label key, checked against what
// the lab's vmagents scrape), the DOT of the example inventory, and the checked-in reports/topology.svg.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { dotString, htmlText, renderTopologyDot, topologyFromInventory } from '../scripts/lib/diagram.js';
import { renderInventoryDiagram } from '../scripts/lib/diagram-svg.js';
import { deriveVars } from '../scripts/lib/inventory/derive.js';
import { validateSourcesWithModel } from '../scripts/lib/inventory/index.js';
import { readInventory, VERSIONS_FILE } from '../scripts/lib/inventory/read.js';
import { goDurationString, memberNumsForKey, shardKey, shardLabels, xxhash64 } from '../scripts/lib/scrape-shard.js';

const exampleDir = path.join(path.dirname(VERSIONS_FILE), 'inventories', 'example');
const repoRoot = path.resolve(path.dirname(VERSIONS_FILE), '..');

describe('scrape shard (vmagent -promscrape.cluster.*)', () => {
  it('xxhash64 matches the reference vectors of XXH64 (seed 0)', () => {
    expect(xxhash64('').toString(16)).to.equal('ef46db3751d8e999');
    expect(xxhash64('a').toString(16)).to.equal('d24ec4f1a98c6e5b');
    expect(xxhash64('abc').toString(16)).to.equal('44bc2cf5ad770999');
    // 39 bytes: the 32-byte stripe loop, then 4-byte and single-byte tails
    expect(xxhash64('Nobody inspects the spammish repetition').toString(16)).to.equal('fbcea83c8a378bf1');
  });

  it('prints durations as Go does', () => {
    expect(goDurationString(15_000)).to.equal('15s');
    expect(goDurationString(60_000)).to.equal('1m0s');
    expect(goDurationString(90_000)).to.equal('1m30s');
    expect(goDurationString(3_600_000)).to.equal('1h0m0s');
    expect(goDurationString(500)).to.equal('500ms');
  });

  it('builds the sorted label key vmagent hashes (timeout at most the interval, params as __param_)', () => {
    const labels = shardLabels({ job: 'vmstorage', address: '10.0.0.1:8482', params: { authKey: 'k' } }, 5000);
    expect(shardKey(labels)).to.equal(
      '__address__=10.0.0.1:8482,__metrics_path__=/metrics,__param_authKey=k,__scheme__=http,__scrape_interval__=5s,__scrape_timeout__=5s,job=vmstorage,',
    );
    expect(shardLabels({ job: 'x', address: 'a:1' }, 15_000).find(([n]) => n === '__scrape_timeout__')?.[1]).to.equal('10s');
  });

  it('gives replicationFactor consecutive members starting at hash mod membersCount', () => {
    const key = 'job=x,';
    const first = Number(xxhash64(key) % 3n);
    expect(memberNumsForKey(key, 3, 2)).to.deep.equal([first, (first + 1) % 3]);
    expect(memberNumsForKey(key, 1, 2)).to.deep.equal([0]);
  });

  // What vmagent-1..3 (members 0..2, membersCount 3, replicationFactor 2, 5 s interval) of the lab
  // reported as their active targets on /api/v1/targets (VictoriaMetrics v1.150.0, 2026-11-27).
  const labScrapes: Record<number, string[]> = {
    0: ['13', '22', '31', '32', '41', '42', '51', '61', '62', '71'],
    1: ['11', '12', '13', '21', '22', '31', '41', '42', '51', '52', '61', '63'],
    2: ['11', '12', '21', '32', '52', '62', '63', '71'],
  };
  const labAgents: Record<number, string[]> = { 0: ['62', '63'], 1: ['61', '63'], 2: ['61', '62'] };
  it('reproduces which lab vmagent scrapes which node_exporter and vmagent target', () => {
    const octets = ['11', '12', '13', '21', '22', '31', '32', '41', '42', '51', '52', '61', '62', '63', '71'];
    for (const octet of octets) {
      const key = shardKey(shardLabels({ job: 'node_exporter', address: `10.213.0.${octet}:9100` }, 5000));
      const want = [0, 1, 2].filter((m) => labScrapes[m]!.includes(octet));
      expect(memberNumsForKey(key, 3, 2).sort(), `node_exporter 10.213.0.${octet}`).to.deep.equal(want);
    }
    for (const octet of ['61', '62', '63']) {
      const key = shardKey(shardLabels({ job: 'vmagent', address: `10.213.0.${octet}:8429` }, 5000));
      const want = [0, 1, 2].filter((m) => labAgents[m]!.includes(octet));
      expect(memberNumsForKey(key, 3, 2).sort(), `vmagent 10.213.0.${octet}`).to.deep.equal(want);
    }
  });
});

describe('topology diagram', () => {
  const { sources } = readInventory(exampleDir);
  const { model } = validateSourcesWithModel(sources);
  const topology = topologyFromInventory(model!, deriveVars(model!));
  const dot = renderTopologyDot(topology);

  it('has every host of every tier, the DNS names with ports and the replication factor', () => {
    expect(topology.tiers.map((t) => t.group)).to.deep.equal(['vmagent', 'lb_insert', 'vminsert', 'vmstorage', 'vmselect', 'lb_select', 'grafana']);
    for (const host of model!.hosts.values()) expect(dot, host.name).to.include(host.name);
    expect(dot).to.include('http://vm-write.example.internal:8480\\n/insert/0/prometheus/api/v1/write');
    expect(dot).to.include('http://vm-read.example.internal:8481\\n/select/0/prometheus');
    expect(dot).to.include('replication factor 2:\\nevery sample on 2 of 3 nodes');
    expect(topology.write.addresses).to.deep.equal(['10.0.0.21', '10.0.0.22']);
  });

  it('assigns every target to two vmagents, except the jobs whose hash needs the vaulted metrics key', () => {
    expect(topology.scrape.members.map((m) => m.memberNum)).to.deep.equal([0, 1, 2]);
    for (const target of topology.scrape.targets) {
      if (['vminsert', 'vmselect', 'vmstorage'].includes(target.job)) expect(target.memberNums, target.address).to.equal(undefined);
      else expect(target.memberNums, target.address).to.have.length(2);
    }
    expect(topology.scrape.targets.filter((t) => t.job === 'node_exporter')).to.have.length(model!.members.node_exporter.length);
  });

  it('escapes DOT strings and HTML label text', () => {
    expect(dotString('a"b\\c\nd')).to.equal('"a\\"b\\\\c\\nd"');
    expect(htmlText('<a & "b">')).to.equal('&lt;a &amp; &quot;b&quot;&gt;');
  });

  it('reports/topology.svg is the current drawing of the example inventory (npm run diagram -- -i ansible/inventories/example -o reports/topology.svg)', async () => {
    const rendered = await renderInventoryDiagram(exampleDir);
    const again = await renderInventoryDiagram(exampleDir);
    expect(rendered.svg, 'the same inventory draws the same bytes').to.equal(again.svg);
    const committed = readFileSync(path.join(repoRoot, 'reports', 'topology.svg'), 'utf8');
    expect(committed === rendered.svg, 'reports/topology.svg is stale: run npm run diagram -- -i ansible/inventories/example -o reports/topology.svg').to.equal(true);
  });
});
