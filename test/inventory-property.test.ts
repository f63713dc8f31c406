// Property test: thousands of seeded random mutations of a valid inventory. The validator
// either accepts each one (and generate then works) or returns clear findings; it never throws.
import { expect } from 'chai';
import yaml from 'js-yaml';
import { generateFromSources, validateSources, type InventorySources } from '../scripts/lib/inventory/index.js';
import { readInventory, readPins } from '../scripts/lib/inventory/read.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SETTINGS_KEYS, HOST_VAR_KEYS, GROUPS } from '../scripts/lib/inventory/schema.js';
import { syntheticInventory } from '../scripts/lib/inventory/synthetic.js';
import { expandedSize } from '../scripts/lib/inventory/yaml-source.js';

const ITERATIONS = 3000;
const SEED = 0x5eed;

/** mulberry32: small, seeded, deterministic. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}

type Rng = ReturnType<typeof prng>;
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const WEIRD_STRINGS = ['', ' ', 'x', '{{ vault_x }}', '10.0.0.11', '999.1.1.1', '2M', '0h', '15s', 'v1.0.0', 'a:b', '::', '-', 'ñ', '$ANSIBLE_VAULT;1.1;AES256'];
const KEYS = [...SETTINGS_KEYS, ...HOST_VAR_KEYS, ...GROUPS, 'hosts', 'children', 'vars', 'all', 'vmha_retenton', 'ansible_hots', '__proto__', 'constructor'];

function randomValue(rng: Rng, depth = 0): Json {
  switch (rng.int(depth > 2 ? 5 : 8)) {
    case 0: return null;
    case 1: return rng.next() < 0.5;
    case 2: return rng.pick([0, 1, 2, 3, -1, 65536, 8480, 1.5, 1e12]);
    case 3: return rng.pick(WEIRD_STRINGS);
    case 4: return rng.pick(KEYS);
    case 5: return [randomValue(rng, depth + 1), randomValue(rng, depth + 1)];
    case 6: return { [rng.pick(KEYS)]: randomValue(rng, depth + 1) };
    default: return {};
  }
}

/** Every [container, key] pair of a parsed document. */
function slots(node: Json, out: [Record<string, Json> | Json[], string | number][] = []) {
  if (Array.isArray(node)) node.forEach((v, i) => (out.push([node, i]), slots(v, out)));
  else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) (out.push([node, k]), slots(v, out));
  return out;
}

function mutateData(rng: Rng, doc: Json): Json {
  const all = slots(doc);
  if (all.length === 0 || rng.next() < 0.03) return randomValue(rng);
  const [container, key] = rng.pick(all);
  const c = container as Record<string, Json>;
  switch (rng.int(5)) {
    case 0: // delete
      if (Array.isArray(container)) container.splice(key as number, 1);
      else delete c[key as string];
      break;
    case 1: // replace the value
      c[key as string] = randomValue(rng);
      break;
    case 2: // rename the key (typo or another known key)
      if (!Array.isArray(container)) {
        const value = c[key as string]!;
        delete c[key as string];
        const name = String(key);
        const renamed = rng.next() < 0.5 ? rng.pick(KEYS) : name.slice(0, -1) + String.fromCharCode(97 + rng.int(26));
        c[renamed] = value;
      }
      break;
    case 3: // add a key
      if (!Array.isArray(container) && c[key as string] && typeof c[key as string] === 'object' && !Array.isArray(c[key as string])) {
        (c[key as string] as Record<string, Json>)[rng.pick(KEYS)] = randomValue(rng);
      } else c[rng.pick(KEYS)] = randomValue(rng);
      break;
    default: // copy a subtree to another place
      c[key as string] = JSON.parse(JSON.stringify(rng.pick(all)[0]));
  }
  return doc;
}

/** Hostile snippets: alias bombs, recursion, binary bytes, deep nesting. */
const BOMB = ['bomb_a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefghi'.split('').map((c, i) => `bomb_${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)].join('\n');
const HOSTILE = [BOMB, 'rec: &r [1, *r]', 'rec: &r {k: *r}', '\u0000\u0001\u00ff', '['.repeat(5000), 'x: ' + '{a: '.repeat(2000), 'vmha_retention: &t 2M\nvmha_scrape_interval: *t'];

/** The harness itself must not expand an alias bomb (copying or dumping it would). */
function loadSmall(text: string): Json {
  const data = yaml.load(text) as Json;
  const n = expandedSize(data);
  if (n === 'recursive' || n > 100_000) throw new Error('hostile');
  return data;
}

function mutateText(rng: Rng, text: string): string {
  const lines = text.split('\n');
  const i = rng.int(lines.length);
  if (rng.next() < 0.05) {
    lines.splice(i, 0, rng.pick(HOSTILE));
    return lines.join('\n');
  }
  switch (rng.int(4)) {
    case 0: lines.splice(i, 1); break;
    case 1: lines[i] = ' ' + lines[i]; break;
    case 2: lines[i] = (lines[i] ?? '') + rng.pick([':', ' [', ' {', ' &a', ' *a', ' !vault |', ' #', '"', ' - x']); break;
    default: lines.splice(i, 0, lines[rng.int(lines.length)] ?? '');
  }
  return lines.join('\n');
}

describe('inventory validator property test', function () {
  this.timeout(120_000);
  const pins = readPins();
  const base = syntheticInventory();

  it(`survives ${ITERATIONS} seeded random mutations with clear findings`, () => {
    const rng = prng(SEED);
    let accepted = 0;
    const rulesSeen = new Set<string>();
    for (let n = 0; n < ITERATIONS; n++) {
      let hostsYml = base.hostsYml;
      let vmhaYml = base.vmhaYml;
      const mutations = 1 + rng.int(3);
      for (let m = 0; m < mutations; m++) {
        const target = rng.int(4);
        if (target === 0) hostsYml = mutateText(rng, hostsYml);
        else if (target === 1) vmhaYml = mutateText(rng, vmhaYml);
        else if (target === 2) {
          try {
            hostsYml = yaml.dump(mutateData(rng, loadSmall(hostsYml)));
          } catch { /* text already broken (or hostile) after an earlier mutation */ }
        } else {
          try {
            vmhaYml = yaml.dump(mutateData(rng, loadSmall(vmhaYml)));
          } catch { /* as above */ }
        }
      }
      const sources: InventorySources = {
        hosts: { path: 'inv/hosts.yml', text: hostsYml },
        groupVars: [{ path: 'inv/group_vars/all/vmha.yml', text: vmhaYml }],
        settingsFile: 'inv/group_vars/all/vmha.yml',
        pins,
      };
      let report;
      const start = Date.now();
      try {
        report = validateSources(sources);
        if (Date.now() - start > 2000) throw new Error(`took ${Date.now() - start} ms`);
      } catch (err) {
        throw new Error(`iteration ${n} threw ${(err as Error).stack}\n--- hosts.yml\n${hostsYml}\n--- vmha.yml\n${vmhaYml}`);
      }
      for (const f of [...report.errors, ...report.warnings]) {
        const context = `iteration ${n}: ${JSON.stringify(f)}`;
        expect(f.file, context).to.match(/^inv\//);
        expect(f.rule, context).to.match(/^[a-z0-9-]+$/);
        expect(f.message, context).to.be.a('string').with.length.greaterThan(5);
        expect(f.fix, context).to.be.a('string').with.length.greaterThan(3);
        expect(f.line === null || (Number.isInteger(f.line) && f.line >= 1), context).to.equal(true);
        rulesSeen.add(f.rule);
      }
      if (report.ok) {
        accepted++;
        const generated = generateFromSources(sources);
        expect(generated.text, `iteration ${n}`).to.be.a('string');
      } else expect(report.errors.length).to.be.greaterThan(0);
    }
    // the mutations exercise many rules, and some mutations are harmless
    if (process.env.VMHA_PROPERTY_STATS) console.log({ accepted, rules: [...rulesSeen].sort() });
    expect(rulesSeen.size).to.be.greaterThan(8);
    expect(accepted).to.be.greaterThan(0);
  });

  it('reads 40 seeded hostile inventory directories (loops, pipes, binary, bombs) into findings, each within 2 s', () => {
    const rng = prng(SEED + 1);
    for (let n = 0; n < 40; n++) {
      const dir = mkdtempSync(path.join(tmpdir(), 'vmha-fuzz-'));
      try {
        mkdirSync(path.join(dir, 'group_vars', 'all'), { recursive: true });
        mkdirSync(path.join(dir, 'host_vars'), { recursive: true });
        writeFileSync(path.join(dir, 'hosts.yml'), rng.next() < 0.2 ? mutateText(rng, base.hostsYml) : base.hostsYml);
        writeFileSync(path.join(dir, 'group_vars', 'all', 'vmha.yml'), base.vmhaYml);
        for (let k = 0; k < 1 + rng.int(3); k++) {
          const where = path.join(dir, rng.pick(['group_vars/all', 'group_vars', 'host_vars']), `${rng.pick(['a', 'vmagent-1', 'vmstorage', 'b'])}${rng.pick(['.yml', '', '.json'])}`);
          if (existsSync(where)) continue;
          switch (rng.int(6)) {
            case 0: symlinkSync(path.basename(where), where); break;
            case 1: symlinkSync('..', where); break;
            case 2: spawnSync('mkfifo', [where]); break;
            case 3: writeFileSync(where, Buffer.from([0, 1, 2, 0xff, 0xfe])); break;
            case 4: writeFileSync(where, rng.pick(HOSTILE)); break;
            default: writeFileSync(where, mutateText(rng, base.vmhaYml));
          }
        }
        const start = Date.now();
        let report;
        try {
          report = validateSources(readInventory(dir, { ansible: false }).sources);
        } catch (err) {
          throw new Error(`layout ${n} threw ${(err as Error).stack}`);
        }
        expect(Date.now() - start, `layout ${n}`).to.be.lessThan(2000);
        for (const f of [...report.errors, ...report.warnings]) expect(f.rule, JSON.stringify(f)).to.match(/^[a-z0-9-]+$/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
