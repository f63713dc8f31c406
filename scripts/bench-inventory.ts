// Benchmark of validate + generate on a 10,000-host inventory.
//   node --import ./scripts/register-ts.mjs scripts/bench-inventory.ts [--hosts N] [--runs N]
// Times the in-process functions and whole CLI runs (node start, TypeScript loading and Ansible's
// reading with ansible-inventory included): with the reading cached (unchanged inventory, target
// 1 s) and with an empty cache (changed inventory, target 8 s). Writes reports/bench-inventory.{json,md}.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCli } from './lib/cli.js';
import { generateFromSources, validateSources } from './lib/inventory/index.js';
import { readInventory } from './lib/inventory/read.js';
import { sizesForTotal, syntheticInventory } from './lib/inventory/synthetic.js';

const UNCHANGED_TARGET_MS = 1000;
const CHANGED_TARGET_MS = 8000;
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const USAGE = 'usage: node --import ./scripts/register-ts.mjs scripts/bench-inventory.ts [--hosts N] [--runs N]';
const { values } = parseCli('bench-inventory', USAGE, {
  options: {
    hosts: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '5' },
    help: { type: 'boolean', short: 'h' },
  },
});
const hostCount = Number(values.hosts);
const runs = Math.max(1, Number(values.runs));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (ms: number) => Math.round(ms * 10) / 10;
function time<T>(fn: () => T): [number, T] {
  const start = process.hrtime.bigint();
  const result = fn();
  return [Number(process.hrtime.bigint() - start) / 1e6, result];
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'vmha-bench-inventory-'));
try {
  const sizes = sizesForTotal(hostCount);
  const inventory = syntheticInventory(sizes);
  mkdirSync(path.join(dir, 'group_vars', 'all'), { recursive: true });
  writeFileSync(path.join(dir, 'hosts.yml'), inventory.hostsYml);
  writeFileSync(path.join(dir, 'group_vars', 'all', 'vmha.yml'), inventory.vmhaYml);
  const totalHosts = Object.values(sizes).reduce((a, b) => a + b, 0);

  // in-process: read + validate, and read + validate + derive + render + write
  const validateMs: number[] = [];
  const generateMs: number[] = [];
  let generatedBytes = 0;
  for (let i = 0; i < runs; i++) {
    const [v, report] = time(() => validateSources(readInventory(dir, { ansible: false }).sources));
    if (!report.ok) throw new Error(`synthetic inventory is invalid: ${JSON.stringify(report.errors.slice(0, 3))}`);
    validateMs.push(v);
    const [g] = time(() => {
      const { sources, generatedPath } = readInventory(dir, { ansible: false });
      const result = generateFromSources(sources);
      writeFileSync(generatedPath, result.text!);
      generatedBytes = result.text!.length;
    });
    generateMs.push(g);
  }

  // whole CLI runs, as CI and site.yml call them
  const cacheDir = path.join(dir, '.reading-cache');
  const cli = (script: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const [ms, proc] = time(() =>
      spawnSync(process.execPath, ['--import', './scripts/register-ts.mjs', `scripts/${script}`, '-i', dir, ...args], {
        cwd: repoRoot,
        encoding: 'utf8',
        env: { ...process.env, VMHA_INVENTORY_CACHE_DIR: cacheDir, ...env },
      }),
    );
    if (proc.status !== 0) throw new Error(`${script} ${args.join(' ')} exited ${proc.status}: ${proc.stderr}`);
    return ms;
  };
  // fixed cost of any TypeScript CLI here: node + ts-node loading one trivial file
  const baselineMs: number[] = [];
  const emptyTs = path.join(repoRoot, 'scripts', 'lib', 'inventory', 'synthetic.ts');
  const cliRuns = Math.min(runs, 3);
  for (let i = 0; i < cliRuns; i++) {
    const [ms, proc] = time(() =>
      spawnSync(process.execPath, ['--import', './scripts/register-ts.mjs', emptyTs], { cwd: repoRoot, encoding: 'utf8' }),
    );
    if (proc.status !== 0) throw new Error(`baseline run failed: ${proc.stderr}`);
    baselineMs.push(ms);
  }
  const cliValidate: number[] = [];
  const cliGenerate: number[] = [];
  const cliCheck: number[] = [];
  // changed inventory: nothing cached, Ansible reads the 10,000 hosts
  const cliCold: number[] = [];
  for (let i = 0; i < cliRuns; i++) {
    rmSync(cacheDir, { recursive: true, force: true });
    cliCold.push(cli('validate.ts', []));
  }
  for (let i = 0; i < cliRuns; i++) {
    cliValidate.push(cli('validate.ts', []));
    cliGenerate.push(cli('generate.ts', []));
    cliCheck.push(cli('generate.ts', ['--check']));
  }

  const results = {
    in_process_validate_ms: { first: round(validateMs[0]!), median: round(median(validateMs)) },
    in_process_generate_ms: { first: round(generateMs[0]!), median: round(median(generateMs)) },
    cli_baseline_ts_node_ms: { median: round(median(baselineMs)), max: round(Math.max(...baselineMs)) },
    cli_validate_changed_inventory_ms: { median: round(median(cliCold)), max: round(Math.max(...cliCold)) },
    cli_validate_ms: { median: round(median(cliValidate)), max: round(Math.max(...cliValidate)) },
    cli_generate_ms: { median: round(median(cliGenerate)), max: round(Math.max(...cliGenerate)) },
    cli_generate_check_ms: { median: round(median(cliCheck)), max: round(Math.max(...cliCheck)) },
  };
  const worst = Math.max(...cliValidate, ...cliGenerate, ...cliCheck);
  const worstCold = Math.max(...cliCold);
  const pass = worst <= UNCHANGED_TARGET_MS && worstCold <= CHANGED_TARGET_MS;
  const report = {
    benchmark: 'inventory validate + generate',
    date: new Date().toISOString(),
    machine: {
      node: process.version,
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      load_average_1m_at_end: round(os.loadavg()[0]!),
    },
    hosts: totalHosts,
    groups: { ...sizes, node_exporter: totalHosts },
    hosts_yml_bytes: inventory.hostsYml.length,
    generated_bytes: generatedBytes,
    runs,
    cli_runs: cliRuns,
    target_unchanged_ms: UNCHANGED_TARGET_MS,
    target_changed_ms: CHANGED_TARGET_MS,
    results,
    worst_unchanged_ms: round(worst),
    worst_changed_ms: round(worstCold),
    pass,
  };
  const md = [
    '# Inventory benchmark: validate + generate',
    '',
    `${totalHosts} hosts (${Object.entries(sizes).map(([g, n]) => `${g} ${n}`).join(', ')}, node_exporter on all),`,
    `hosts.yml ${(inventory.hostsYml.length / 1024).toFixed(0)} KiB, zz-generated.yml ${(generatedBytes / 1024).toFixed(0)} KiB.`,
    `Node ${process.version}, ${os.cpus().length} CPU(s) (${report.machine.cpu}), load average ${report.machine.load_average_1m_at_end} at the end, ${report.date}.`,
    `Produced by \`node --import ./scripts/register-ts.mjs scripts/bench-inventory.ts\`.`,
    '',
    '| measurement | first / median (ms) | max (ms) |',
    '|---|---|---|',
    `| in-process validate without Ansible (read + parse + schema + rules) | ${results.in_process_validate_ms.first} / ${results.in_process_validate_ms.median} | ${round(Math.max(...validateMs))} |`,
    `| in-process generate (validate + derive + render + write) | ${results.in_process_generate_ms.first} / ${results.in_process_generate_ms.median} | ${round(Math.max(...generateMs))} |`,
    `| CLI baseline: node + the TypeScript loader (compiled output cached) running one small TS file | - / ${results.cli_baseline_ts_node_ms.median} | ${results.cli_baseline_ts_node_ms.max} |`,
    `| CLI \`validate.ts -i\`, changed inventory (empty cache: ansible-inventory reads it) | - / ${results.cli_validate_changed_inventory_ms.median} | ${results.cli_validate_changed_inventory_ms.max} |`,
    `| CLI \`validate.ts -i\`, unchanged inventory (Ansible's reading from the cache) | - / ${results.cli_validate_ms.median} | ${results.cli_validate_ms.max} |`,
    `| CLI \`generate.ts -i\` (whole process, reading cached) | - / ${results.cli_generate_ms.median} | ${results.cli_generate_ms.max} |`,
    `| CLI \`generate.ts -i --check\` (whole process, reading cached) | - / ${results.cli_generate_check_ms.median} | ${results.cli_generate_check_ms.max} |`,
    '',
    `Targets: a whole CLI run on an unchanged inventory at most ${UNCHANGED_TARGET_MS} ms (worst ${report.worst_unchanged_ms} ms),`,
    `on a changed one at most ${CHANGED_TARGET_MS} ms (worst ${report.worst_changed_ms} ms): **${report.pass ? 'PASS' : 'FAIL'}**.`,
    'The cache key is the SHA-256 of every file Ansible is given (hosts file, group_vars/, host_vars/;',
    'zz-generated.yml is not read), so any edit makes the next run read with Ansible again.',
    '',
  ].join('\n');
  mkdirSync(path.join(repoRoot, 'reports'), { recursive: true });
  writeFileSync(path.join(repoRoot, 'reports', 'bench-inventory.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(path.join(repoRoot, 'reports', 'bench-inventory.md'), md);
  console.log(md);
  process.exitCode = report.pass ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
