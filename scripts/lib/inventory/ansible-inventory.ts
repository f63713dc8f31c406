// Ansible's own reading of an inventory: `ansible-inventory --list --export` from the pinned
// venv, run on a private copy of the inventory's files (only the ones vmha could read safely;
// encrypted files without a vault password become empty) and cached by the hashes of those
// files, so an unchanged inventory costs no Ansible run. Touches the disk and runs a process.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnsibleExport } from './ansible-view.js';
import { looksLikeIni, type Finding, type VarsFile } from './model.js';
import { parseSource, VAULT_PREFIX, type SourceFile } from './yaml-source.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const ANSIBLE_INVENTORY = process.env.VMHA_ANSIBLE_INVENTORY ?? path.join(REPO_ROOT, '.venv', 'bin', 'ansible-inventory');
export const DEFAULT_CACHE_DIR = process.env.VMHA_INVENTORY_CACHE_DIR ?? path.join(REPO_ROOT, '.cache', 'inventory-reading');
const CACHE_KEEP = 64;
const TIMEOUT_MS = 120_000;

export interface AnsibleReading {
  export: AnsibleExport | undefined;
  findings: Finding[];
  /** 'cache', 'ansible', or why Ansible did not run. */
  source: 'cache' | 'ansible' | 'skipped' | 'failed';
}

export interface AnsibleOptions {
  vaultPasswordFile?: string;
  cacheDir?: string;
}

/** Which files Ansible gets to see, with their text (relative to the inventory directory). */
function stage(dir: string, hosts: SourceFile, vars: VarsFile[], vault: boolean): { rel: string; text: string }[] | undefined {
  const parsed = parseSource(hosts);
  const yamlOk = parsed.ok && (typeof parsed.source.data === 'object' || parsed.source.data == null);
  if (!yamlOk && !looksLikeIni(hosts.text)) return undefined; // vmha reports the YAML error with its line
  const out = [{ rel: path.relative(dir, hosts.path), text: hosts.text }];
  for (const file of vars) {
    const encrypted = file.text.trimStart().startsWith(VAULT_PREFIX);
    if (encrypted) {
      out.push({ rel: path.relative(dir, file.path), text: vault ? file.text : '{}\n' });
      continue;
    }
    const p = parseSource(file);
    if (!p.ok) continue; // reported by vmha (syntax, alias bomb, recursion); Ansible would choke on it
    out.push({ rel: path.relative(dir, file.path), text: file.text });
  }
  return out;
}

function ansibleIdentity(): string | undefined {
  try {
    const st = statSync(ANSIBLE_INVENTORY);
    return `${ANSIBLE_INVENTORY}:${st.mtimeMs}:${st.size}`;
  } catch {
    return undefined;
  }
}

/** Turns Ansible's stderr into findings: the file and line of its `Origin:` lines, in the user's paths. */
export function ansibleErrorFindings(stderr: string, stagedDir: string, dir: string, hostsPath: string): Finding[] {
  const text = stderr.split(stagedDir).join(dir);
  const origin = /Origin: ([^\s<>]+?)(?::(\d+))?(?::\d+)?\s*$/m.exec(text);
  const lines = text
    .split('\n')
    .map((l) => l.replace(/^\[(ERROR|WARNING)\]:\s*/, '').trim())
    .filter((l) => l && !l.startsWith('Origin:') && !l.startsWith('<<<') && !/^\(source not shown|^\^|No inventory was parsed/.test(l));
  const unique = [...new Set(lines)].slice(0, 3).join(' / ');
  return [
    {
      severity: 'error',
      file: origin?.[1] ?? hostsPath,
      line: origin?.[2] ? Number(origin[2]) : null,
      rule: 'ansible-inventory',
      message: `Ansible cannot read this inventory: ${unique.length > 600 ? `${unique.slice(0, 600)}...` : unique || 'no output'}`,
      fix: `correct what Ansible names there; check with: .venv/bin/ansible-inventory -i ${hostsPath} --list`,
    },
  ];
}

export function readWithAnsible(dir: string, hosts: SourceFile, vars: VarsFile[], options: AnsibleOptions = {}): AnsibleReading {
  const vault = options.vaultPasswordFile !== undefined && options.vaultPasswordFile !== '';
  const identity = ansibleIdentity();
  if (!identity) {
    return {
      export: undefined,
      source: 'skipped',
      findings: [
        {
          severity: 'warning',
          file: hosts.path,
          line: null,
          rule: 'ansible-missing',
          message: `${ANSIBLE_INVENTORY} is missing, so vmha read the inventory with its own YAML reader (INI inventories need Ansible)`,
          fix: 'create the venv with `bash scripts/ensure-toolchain.sh`, then validate again',
        },
      ],
    };
  }
  const files = stage(dir, hosts, vars, vault);
  if (!files) return { export: undefined, findings: [], source: 'skipped' };
  const hash = createHash('sha256').update(`vmha-inventory-reading-1\0${identity}\0${files[0]!.rel}\0`);
  for (const f of [...files].sort((a, b) => (a.rel < b.rel ? -1 : 1))) hash.update(`${f.rel}\0${f.text.length}\0${f.text}\0`);
  const key = hash.digest('hex');
  const cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
  const cacheFile = path.join(cacheDir, `${key}.json`);
  // decrypted secrets never go into the cache: with a vault password, Ansible runs every time
  if (!vault && existsSync(cacheFile)) {
    try {
      return { export: JSON.parse(readFileSync(cacheFile, 'utf8')) as AnsibleExport, findings: [], source: 'cache' };
    } catch {
      /* a broken cache entry: read again */
    }
  }
  const staged = mkdtempSync(path.join(os.tmpdir(), 'vmha-inventory-'));
  try {
    for (const f of files) {
      const target = path.join(staged, f.rel);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, f.text);
    }
    writeFileSync(path.join(staged, '.ansible.cfg'), '[defaults]\n');
    const args = ['-i', path.join(staged, files[0]!.rel), '--list', '--export'];
    if (vault) args.push('--vault-password-file', path.resolve(options.vaultPasswordFile!));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ANSIBLE_CONFIG: path.join(staged, '.ansible.cfg'),
      ANSIBLE_INVENTORY_ENABLED: 'yaml,ini',
      ANSIBLE_INVENTORY_UNPARSED_FAILED: 'True',
      ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED: 'True',
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_LOCALHOST_WARNING: 'False',
      ANSIBLE_DEPRECATION_WARNINGS: 'False',
      ANSIBLE_HOME: path.join(staged, '.ansible-home'),
    };
    // the password file is passed explicitly (or not at all)
    delete env.ANSIBLE_VAULT_PASSWORD_FILE;
    delete env.ANSIBLE_VAULT_IDENTITY_LIST;
    const proc = spawnSync(ANSIBLE_INVENTORY, args, {
      cwd: staged,
      encoding: 'utf8',
      timeout: TIMEOUT_MS,
      killSignal: 'SIGKILL',
      maxBuffer: 512 * 1024 * 1024,
      env,
    });
    if (proc.error || proc.status !== 0) {
      const why = proc.error ? `${(proc.error as NodeJS.ErrnoException).code ?? proc.error.message}` : (proc.stderr ?? '');
      return { export: undefined, findings: ansibleErrorFindings(why, staged, dir, hosts.path), source: 'failed' };
    }
    const data = JSON.parse(proc.stdout) as AnsibleExport;
    if (vault) {
      const failed = decryptInlineVaults(data, path.resolve(options.vaultPasswordFile!));
      if (failed) return { export: data, findings: [{ severity: 'error', file: hosts.path, line: null, rule: 'vault-password', message: `inline !vault values could not be decrypted: ${failed}`, fix: 'pass the vault password the values were encrypted with (--vault-password-file <file>)' }], source: 'ansible' };
    }
    if (!vault) {
      // the reading holds the inventory's clear-text variables: readable by the owner only
      mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(data), { mode: 0o600 });
      renameSync(tmp, cacheFile);
      pruneCache(cacheDir);
    }
    return { export: data, findings: [], source: 'ansible' };
  } finally {
    rmSync(staged, { recursive: true, force: true });
  }
}

const DECRYPT_PY = `
import sys, json
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import VaultLib, get_file_vault_secret
secret = get_file_vault_secret(filename=sys.argv[1], loader=DataLoader())
secret.load()
vault = VaultLib([('default', secret)])
out = []
for text in json.load(sys.stdin):
    try:
        out.append(vault.decrypt(text.encode()).decode('utf-8'))
    except Exception as e:
        out.append({'error': str(e)})
print(json.dumps(out))
`;

/** Replaces inline `!vault` values ({"__ansible_vault": ciphertext}) by their text, in one Python run. */
function decryptInlineVaults(data: AnsibleExport, passwordFile: string): string | undefined {
  const slots: [Record<string, unknown>, string][] = [];
  const groups = Object.entries(data).filter(([k]) => k !== '_meta').map(([, g]) => (g as { vars?: Record<string, unknown> }).vars ?? {});
  for (const vars of [...groups, ...Object.values(data._meta?.hostvars ?? {})]) {
    for (const [k, v] of Object.entries(vars)) {
      if (typeof v === 'object' && v !== null && typeof (v as { __ansible_vault?: unknown }).__ansible_vault === 'string') slots.push([vars, k]);
    }
  }
  if (slots.length === 0) return undefined;
  const python = path.join(path.dirname(ANSIBLE_INVENTORY), 'python');
  const proc = spawnSync(python, ['-c', DECRYPT_PY, passwordFile], {
    input: JSON.stringify(slots.map(([vars, k]) => (vars[k] as { __ansible_vault: string }).__ansible_vault)),
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
  });
  if (proc.status !== 0) return (proc.stderr || String(proc.error)).trim().split('\n').pop();
  const plain = JSON.parse(proc.stdout) as (string | { error: string })[];
  let failed: string | undefined;
  slots.forEach(([vars, k], i) => {
    const v = plain[i];
    if (typeof v === 'string') vars[k] = v;
    else failed ??= `${k}: ${v?.error}`;
  });
  return failed;
}

function pruneCache(cacheDir: string) {
  try {
    const entries = readdirSync(cacheDir)
      .filter((n) => n.endsWith('.json'))
      .map((n) => ({ n, t: statSync(path.join(cacheDir, n)).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    for (const { n } of entries.slice(CACHE_KEEP)) unlinkSync(path.join(cacheDir, n));
  } catch {
    /* another process pruned at the same time */
  }
}
