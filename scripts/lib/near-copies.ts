// Near-copies of YAML and Jinja text across Ansible roles (the `duplicates` check reads only
// TypeScript). Method: every line is normalised (trimmed, inner whitespace collapsed, the file's
// own role name replaced by <role>, so `vmstorage_http_port` and `vminsert_http_port` compare
// equal); blank lines and lines of only `---`, `{% endif %}`, `{% else %}` are dropped. A run of
// `minLines` consecutive normalised lines that occurs at two or more places (in one file or
// several) is a near-copy. Reported: the number of maximal copied runs (each place counted) and
// the number of lines they cover.

export interface SourceFile {
  path: string;
  role: string;
  text: string;
}

export interface NearCopyRun {
  path: string;
  startLine: number; // 1-based line of the source file
  endLine: number;
  lines: number; // normalised lines in the run
}

export interface NearCopyReport {
  minLines: number;
  files: number;
  runs: NearCopyRun[];
  copiedLines: number;
}

const TRIVIAL = new Set(['', '---', '{% endif %}', '{% else %}', '{% endfor %}']);

export function normaliseLines(text: string, role: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const rolePattern = role ? new RegExp(role.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g') : null;
  text.split('\n').forEach((raw, i) => {
    let t = raw.trim().replace(/\s+/g, ' ');
    if (rolePattern) t = t.replace(rolePattern, '<role>');
    if (!TRIVIAL.has(t)) out.push({ line: i + 1, text: t });
  });
  return out;
}

export function findNearCopies(files: SourceFile[], minLines = 5): NearCopyReport {
  const normalised = files.map((f) => normaliseLines(f.text, f.role));
  // Every window of minLines normalised lines, keyed by its text.
  const windows = new Map<string, { file: number; start: number }[]>();
  normalised.forEach((lines, file) => {
    for (let start = 0; start + minLines <= lines.length; start++) {
      const key = lines
        .slice(start, start + minLines)
        .map((l) => l.text)
        .join('\n');
      const list = windows.get(key) ?? [];
      list.push({ file, start });
      windows.set(key, list);
    }
  });
  // A normalised line is copied when a window covering it occurs at two or more places.
  const copied = normalised.map((lines) => new Array<boolean>(lines.length).fill(false));
  for (const places of windows.values()) {
    if (places.length < 2) continue;
    for (const { file, start } of places) for (let i = start; i < start + minLines; i++) copied[file]![i] = true;
  }
  const runs: NearCopyRun[] = [];
  let copiedLines = 0;
  normalised.forEach((lines, file) => {
    let i = 0;
    while (i < lines.length) {
      if (!copied[file]![i]) {
        i++;
        continue;
      }
      let j = i;
      while (j + 1 < lines.length && copied[file]![j + 1]) j++;
      runs.push({ path: files[file]!.path, startLine: lines[i]!.line, endLine: lines[j]!.line, lines: j - i + 1 });
      copiedLines += j - i + 1;
      i = j + 1;
    }
  });
  return { minLines, files: files.length, runs, copiedLines };
}
