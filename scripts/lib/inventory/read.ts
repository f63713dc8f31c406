// The one file of this folder that touches the disk (read-only): finds an inventory's files
// and runs validate/generate on them in-process. The lab CLI and molecule call these.
import { existsSync, lstatSync, realpathSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { readWithAnsible } from './ansible-inventory.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { describeDifference, GENERATED_FILE_NAME } from './derive.js';
import { generateFromSources, validateSources, type GenerateResult, type ValidationReport } from './index.js';
import type { Finding, InventorySources, PinnedVersions, VarsFile } from './model.js';

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

/** Files bigger than this are not inventory files (a 10,000-host hosts.yml is about 0.6 MiB). */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** At most this many files under group_vars/ and host_vars/ (a runaway tree is refused, not walked). */
export const MAX_VAR_FILES = 20_000;
// Ansible's host_group_vars plugin reads these names (and names without an extension)
const VARS_FILE = /^[^.]+$|\.(ya?ml|json)$/;

export interface ReadOptions {
  pins?: PinnedVersions;
  /** Read through `ansible-inventory` (default true; tests of the rules read in-process). */
  ansible?: boolean;
  /** --vault-password-file, else ANSIBLE_VAULT_PASSWORD_FILE. */
  vaultPasswordFile?: string;
  /** Where Ansible's readings are cached (default .cache/inventory-reading/ of the repository). */
  cacheDir?: string;
}

interface ReadFile {
  path: string;
  text: string;
}

/** Whether a path exists, also as a link that leads nowhere (existsSync follows links). */
function present(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Reads one file defensively: every way it can fail becomes a finding instead of an exception. */
function readDefensively(file: string, findings: Finding[]): ReadFile | undefined {
  const fail = (rule: string, message: string, fix: string) => {
    findings.push({ severity: 'error', file, line: null, rule, message, fix });
    return undefined;
  };
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return fail('symlink-loop', 'this symbolic link leads back to itself (a loop), so it names no file', `delete the link or point it at a real file: rm ${file}`);
    if (code === 'ENOENT') return fail('symlink-broken', 'this symbolic link points to a file that does not exist', `delete the link or point it at a real file: rm ${file}`);
    return fail('file-unreadable', `cannot read it (${code ?? (err as Error).message})`, `make it readable for the user running validate (e.g. chmod a+r ${file})`);
  }
  if (!st.isFile()) return fail('file-not-regular', 'this is not a regular file (a device, socket or pipe), so it is not read', `move it out of the inventory: mv ${file} /tmp/`);
  if (st.size > MAX_FILE_BYTES) {
    return fail('file-too-large', `it has ${st.size} bytes; inventory files are far smaller (limit ${MAX_FILE_BYTES})`, 'move the file out of the inventory, or split the data it holds');
  }
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail('file-unreadable', `cannot read it (${code ?? (err as Error).message})`, `make it readable for the user running validate (e.g. chmod a+r ${file})`);
  }
  let text: string;
  try {
    if (buf.includes(0)) throw new Error('NUL byte');
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    return fail('file-binary', 'this is a binary file, not UTF-8 text; Ansible cannot read variables from it', `move it out of the inventory: mv ${file} /tmp/`);
  }
  return { path: file, text: text.replace(/^\uFEFF/, '') };
}

/** Every vars file under group_vars/ or host_vars/: <name>.yml or files in a <name>/ directory, links followed once. */
function listVarFiles(root: string, findings: Finding[]): { name: string; file: string }[] {
  const out: { name: string; file: string }[] = [];
  if (!present(root)) return out;
  const visited = new Set<string>();
  const walk = (dir: string, name: string | undefined, depth: number) => {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      findings.push({ severity: 'error', file: dir, line: null, rule: code === 'ELOOP' ? 'symlink-loop' : 'file-unreadable',
        message: code === 'ELOOP' ? 'this symbolic link leads back to itself (a loop)' : `cannot read it (${code})`,
        fix: `delete the link or point it at a real directory: rm ${dir}` });
      return;
    }
    if (visited.has(real) || depth > 16) {
      findings.push({ severity: 'error', file: dir, line: null, rule: 'symlink-loop',
        message: 'this directory is reached again through a symbolic link (a loop)', fix: `delete the link: rm ${dir}` });
      return;
    }
    visited.add(real);
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch (err) {
      findings.push({ severity: 'error', file: dir, line: null, rule: 'file-unreadable',
        message: `cannot list this directory (${(err as NodeJS.ErrnoException).code})`, fix: `make it readable: chmod a+rx ${dir}` });
      return;
    }
    for (const entry of entries) {
      if (entry.startsWith('.') || entry === GENERATED_FILE_NAME || entry.endsWith('.example') || entry.endsWith('~')) continue;
      const full = path.join(dir, entry);
      let isDir = false;
      try {
        isDir = statSync(full).isDirectory();
      } catch {
        /* reported when read */
      }
      if (isDir) walk(full, name ?? entry, depth + 1);
      else if (VARS_FILE.test(entry)) {
        if (out.length >= MAX_VAR_FILES) {
          findings.push({ severity: 'error', file: root, line: null, rule: 'too-many-files',
            message: `more than ${MAX_VAR_FILES} files under this directory`, fix: 'keep only the variables files of the inventory here' });
          return;
        }
        out.push({ name: name ?? entry.replace(/\.(ya?ml|json)$/, ''), file: full });
      }
    }
  };
  walk(root, undefined, 0);
  return out;
}

/** Reads an inventory (directory or hosts file): hosts file, group_vars/ and host_vars/, and Ansible's reading of it. */
export function readInventory(input: string, options: ReadOptions | PinnedVersions = {}): LocatedInventory {
  const opts: ReadOptions = 'victoriametrics' in options ? { pins: options as PinnedVersions } : (options as ReadOptions);
  const pins = opts.pins ?? readPins();
  if (!input) throw new InventoryPathError('no inventory given: pass -i <inventory directory or hosts file>');
  if (!existsSync(input)) throw new InventoryPathError(`inventory ${input} does not exist`);
  let hostsPath: string;
  if (statSync(input).isDirectory()) {
    // `hosts` without an extension is how Molecule links an inventory into its own directory.
    const found = ['hosts.yml', 'hosts.yaml', 'hosts', 'hosts.ini', 'inventory', 'inventory.ini'].map((n) => path.join(input, n)).find(present);
    if (!found) throw new InventoryPathError(`inventory directory ${input} has no hosts.yml (or hosts.yaml, hosts, hosts.ini)`);
    hostsPath = found;
  } else {
    hostsPath = input;
  }
  // A linked hosts file belongs to the inventory it links to: its group_vars and generated file.
  try {
    hostsPath = realpathSync(hostsPath);
  } catch {
    /* a link loop or a dangling link: reported as a finding when the file is read */
  }
  const dir = path.dirname(hostsPath);
  const findings: Finding[] = [];
  const hosts = readDefensively(hostsPath, findings) ?? { path: hostsPath, text: '' };
  const groupVars: VarsFile[] = [];
  for (const kind of ['group_vars', 'host_vars'] as const) {
    for (const { name, file } of listVarFiles(path.join(dir, kind), findings)) {
      const read = readDefensively(file, findings);
      if (!read) continue;
      groupVars.push(kind === 'group_vars' ? { ...read, ...(name === 'all' ? {} : { group: name }) } : { ...read, host: name });
    }
  }
  const allDir = path.join(dir, 'group_vars', 'all');
  const sources: InventorySources = {
    hosts,
    groupVars,
    settingsFile: path.join(allDir, 'vmha.yml'),
    pins,
    readFindings: findings,
    fileExists: (p) => existsSync(p),
  };
  if (opts.ansible !== false && !findings.some((f) => f.file === hostsPath)) {
    const vaultPasswordFile = opts.vaultPasswordFile ?? process.env.ANSIBLE_VAULT_PASSWORD_FILE;
    const reading = readWithAnsible(dir, hosts, groupVars, { vaultPasswordFile, cacheDir: opts.cacheDir });
    if (reading.export) sources.ansible = reading.export;
    findings.push(...reading.findings);
  }
  return { sources, generatedPath: path.join(allDir, GENERATED_FILE_NAME) };
}

/** Validates the inventory at `input` (directory or hosts file). Throws InventoryPathError. */
export function validateInventory(input: string, options: ReadOptions = {}): ValidationReport {
  return validateSources(readInventory(input, options).sources);
}

export interface GeneratedVars extends GenerateResult {
  generatedPath: string;
}

/** Validates and derives the generated vars (nothing is written). Throws InventoryPathError. */
export function generateVars(input: string, options: ReadOptions = {}): GeneratedVars {
  const { sources, generatedPath } = readInventory(input, options);
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
