// The one file of this folder that touches the disk (read-only): finds an inventory's files
// and runs validate/generate on them in-process. The lab CLI and molecule call these.
import { existsSync, realpathSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { describeDifference, GENERATED_FILE_NAME } from './derive.js';
import { generateFromSources, validateSources, type GenerateResult, type ValidationReport } from './index.js';
import type { InventorySources, PinnedVersions } from './model.js';

export const VERSIONS_FILE = fileURLToPath(new URL('../../../ansible/versions.yml', import.meta.url));

/** A path that is not an inventory; the message says what was expected. */
export class InventoryPathError extends Error {}

export interface LocatedInventory {
  sources: InventorySources;
  /** group_vars/all/zz-generated.yml of this inventory. */
  generatedPath: string;
}

export function readPins(file = VERSIONS_FILE): PinnedVersions {
  const data = yaml.load(readFileSync(file, 'utf8')) as PinnedVersions;
  return data;
}

const isYaml = (name: string) => /\.ya?ml$/.test(name);

/** Reads hosts.yml and group_vars/all of an inventory directory (or next to a hosts file). */
export function readInventory(input: string, pins: PinnedVersions = readPins()): LocatedInventory {
  if (!input) throw new InventoryPathError('no inventory given: pass -i <inventory directory or hosts file>');
  if (!existsSync(input)) throw new InventoryPathError(`inventory ${input} does not exist`);
  let hostsPath: string;
  let dir: string;
  if (statSync(input).isDirectory()) {
    // `hosts` without an extension is how Molecule links an inventory into its own directory.
    const found = ['hosts.yml', 'hosts.yaml', 'hosts'].map((n) => path.join(input, n)).find((p) => existsSync(p));
    if (!found) throw new InventoryPathError(`inventory directory ${input} has no hosts.yml (or hosts.yaml)`);
    hostsPath = found;
  } else {
    hostsPath = input;
  }
  // A linked hosts file belongs to the inventory it links to: its group_vars and generated file.
  hostsPath = realpathSync(hostsPath);
  dir = path.dirname(hostsPath);
  const groupVarsFiles: string[] = [];
  const groupVars = path.join(dir, 'group_vars');
  for (const name of ['all.yml', 'all.yaml']) {
    const p = path.join(groupVars, name);
    if (existsSync(p) && statSync(p).isFile()) groupVarsFiles.push(p);
  }
  const allDir = path.join(groupVars, 'all');
  if (existsSync(allDir) && statSync(allDir).isDirectory()) {
    for (const name of readdirSync(allDir).sort()) {
      if (!isYaml(name) || name === GENERATED_FILE_NAME) continue;
      groupVarsFiles.push(path.join(allDir, name));
    }
  }
  const read = (p: string) => ({ path: p, text: readFileSync(p, 'utf8') });
  return {
    sources: {
      hosts: read(hostsPath),
      groupVars: groupVarsFiles.map(read),
      settingsFile: path.join(allDir, 'vmha.yml'),
      pins,
    },
    generatedPath: path.join(allDir, GENERATED_FILE_NAME),
  };
}

/** Validates the inventory at `input` (directory or hosts file). Throws InventoryPathError. */
export function validateInventory(input: string): ValidationReport {
  return validateSources(readInventory(input).sources);
}

export interface GeneratedVars extends GenerateResult {
  generatedPath: string;
}

/** Validates and derives the generated vars (nothing is written). Throws InventoryPathError. */
export function generateVars(input: string): GeneratedVars {
  const { sources, generatedPath } = readInventory(input);
  return { ...generateFromSources(sources), generatedPath };
}

export interface CheckResult {
  upToDate: boolean;
  differences: string[];
}

/** Compares the committed zz-generated.yml with what generate would write. */
export function checkGenerated(result: GeneratedVars): CheckResult {
  if (result.text === undefined || result.vars === undefined) return { upToDate: false, differences: ['validation failed'] };
  if (!existsSync(result.generatedPath)) {
    return { upToDate: false, differences: [`${result.generatedPath} does not exist`] };
  }
  const current = readFileSync(result.generatedPath, 'utf8');
  if (current === result.text) return { upToDate: true, differences: [] };
  return { upToDate: false, differences: describeDifference(current, result.vars) };
}

/**
 * `npm run` changes to the package root; a relative -i path means the caller's directory
 * (npm passes it as INIT_CWD). Absolute paths and runs from the root stay as given.
 */
export function resolveCliPath(input: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const callerCwd = env.INIT_CWD;
  if (!input || path.isAbsolute(input) || !callerCwd || path.resolve(callerCwd) === path.resolve(cwd)) return input;
  return path.resolve(callerCwd, input);
}
