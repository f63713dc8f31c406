// Parses inventory YAML (with Ansible's !vault and !unsafe tags) and finds the line of any
// key path, so every finding can name file:line. Pure: takes text, returns data.
import yaml from 'js-yaml';

/** Ansible-vault ciphertext starts with this; a `!vault` value keeps it. */
export const VAULT_PREFIX = '$ANSIBLE_VAULT;';

const vaultType = new yaml.Type('!vault', {
  kind: 'scalar',
  construct: (data: unknown) => {
    const text = typeof data === 'string' ? data.trim() : '';
    return text.startsWith(VAULT_PREFIX) ? text : `${VAULT_PREFIX}${text}`;
  },
});
const unsafeType = new yaml.Type('!unsafe', {
  kind: 'scalar',
  construct: (data: unknown) => (data === null || data === undefined ? '' : String(data)),
});
const ANSIBLE_SCHEMA = yaml.DEFAULT_SCHEMA.extend([vaultType, unsafeType]);

export interface SourceFile {
  /** Path as it should appear in messages. */
  path: string;
  text: string;
}

export interface ParsedSource {
  path: string;
  data: unknown;
  /** 1-based line of the key path, or of its nearest ancestor that has a line. */
  lineOf(keyPath: readonly string[]): number | undefined;
  /** Every key path's line (indexKeyLines). */
  keyLines?: Map<string, number>;
}

export type ParseResult =
  | { ok: true; source: ParsedSource }
  | { ok: false; path: string; line: number | undefined; message: string; rule: string; fix: string };

/** Nodes a document may expand to through aliases (a "billion laughs" document expands far beyond). */
export const MAX_EXPANDED_NODES = 1_000_000;

/**
 * Counts the nodes of a parsed document as a consumer that follows every alias would see them,
 * without expanding anything (shared nodes are counted once per use, from a memo). Returns
 * 'recursive' when a node contains itself.
 */
export function expandedSize(data: unknown, limit = MAX_EXPANDED_NODES): number | 'recursive' {
  const memo = new Map<object, number>();
  const active = new Set<object>();
  let recursive = false;
  const size = (node: unknown): number => {
    if (typeof node !== 'object' || node === null) return 1;
    const cached = memo.get(node);
    if (cached !== undefined) return cached;
    if (active.has(node)) {
      recursive = true;
      return 1;
    }
    active.add(node);
    let total = 1;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      total += size(child);
      if (total > limit || recursive) break;
    }
    active.delete(node);
    memo.set(node, total);
    return total;
  };
  const n = size(data);
  return recursive ? 'recursive' : n;
}

export function parseSource(file: SourceFile): ParseResult {
  if (file.text.trimStart().startsWith(VAULT_PREFIX)) {
    return { ok: true, source: { path: file.path, data: undefined, lineOf: () => undefined } };
  }
  let data: unknown;
  try {
    data = yaml.load(file.text, { filename: file.path, schema: ANSIBLE_SCHEMA });
  } catch (err) {
    const e = err as { mark?: { line?: number }; reason?: string; message?: string };
    const line = typeof e.mark?.line === 'number' ? e.mark.line + 1 : undefined;
    return {
      ok: false, path: file.path, line, rule: 'yaml-syntax',
      message: `not valid YAML: ${e.reason ?? String(e.message ?? err).split('\n')[0]}`,
      fix: 'correct the YAML syntax at that line',
    };
  }
  if (/[&*][^\s]/.test(file.text)) {
    const n = expandedSize(data);
    if (n === 'recursive') {
      return {
        ok: false, path: file.path, line: undefined, rule: 'yaml-recursive',
        message: 'a YAML alias refers to the node that contains it, so the value never ends',
        fix: 'replace the alias (*name) inside its own anchor (&name) with the values it should hold',
      };
    }
    if (n > MAX_EXPANDED_NODES) {
      return {
        ok: false, path: file.path, line: undefined, rule: 'yaml-alias-bomb',
        message: `YAML aliases expand this file to more than ${MAX_EXPANDED_NODES} values (an alias bomb)`,
        fix: 'write the values out instead of nesting aliases (*name) of aliases',
      };
    }
  }
  const lines = indexKeyLines(file.text);
  return {
    ok: true,
    source: {
      path: file.path,
      data,
      keyLines: lines,
      lineOf(keyPath) {
        for (let n = keyPath.length; n > 0; n--) {
          const line = lines.get(keyPath.slice(0, n).join(KEY_SEPARATOR));
          if (line !== undefined) return line;
        }
        return undefined;
      },
    },
  };
}

const KEY_SEPARATOR = '\u0000';
// indentation, optional list dash, a plain/quoted key, a colon followed by space or end of line
const KEY_LINE =
  /^( *)(- +)?("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"{[\]},&*!|>%@`-][^:#]*?|-[^\s:#][^:#]*?) *:(?: +(.*))?$/;
const BLOCK_SCALAR = /^(?:![^\s]+ +)?[|>][-+0-9]*\s*(?:#.*)?$/;

/**
 * Maps every block-style mapping key path to its 1-based line by one pass over the lines
 * (inventories are block YAML; flow-style keys fall back to their parent's line).
 */
export function indexKeyLines(text: string): Map<string, number> {
  const result = new Map<string, number>();
  const stack: { indent: number; key: string }[] = [];
  const lines = text.split('\n');
  let blockIndent = -1;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    const content = raw.trimStart();
    const indent = raw.length - content.length;
    if (blockIndent >= 0) {
      if (content === '' || indent > blockIndent) continue;
      blockIndent = -1;
    }
    if (content === '' || content.startsWith('#') || content.startsWith('---') || content.startsWith('...')) continue;
    const m = KEY_LINE.exec(raw);
    if (!m) continue;
    const keyIndent = m[1]!.length + (m[2]?.length ?? 0);
    let key = m[3]!;
    if (key.startsWith('"')) key = key.slice(1, -1).replace(/\\(.)/g, '$1');
    else if (key.startsWith("'")) key = key.slice(1, -1).replace(/''/g, "'");
    else key = key.trimEnd();
    while (stack.length > 0 && stack[stack.length - 1]!.indent >= keyIndent) stack.pop();
    stack.push({ indent: keyIndent, key });
    const joined = stack.map((s) => s.key).join(KEY_SEPARATOR);
    if (!result.has(joined)) result.set(joined, i + 1);
    if (m[4] !== undefined && BLOCK_SCALAR.test(m[4].trim())) blockIndent = keyIndent;
  }
  return result;
}
