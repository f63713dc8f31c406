// What Ansible makes of an inventory: the JSON of `ansible-inventory --list --export` (groups
// with their hosts, children and variables; per-host variables), how Ansible merges those into
// one host's variables, and a reader of YAML inventories that gives the same JSON without
// Ansible (used by the unit tests and when the venv is missing). Pure.

/** One group of `ansible-inventory --list --export`. */
export interface AnsibleGroup {
  hosts?: string[];
  children?: string[];
  vars?: Record<string, unknown>;
}

/** The whole output of `ansible-inventory --list --export`. */
export interface AnsibleExport {
  _meta: { hostvars: Record<string, Record<string, unknown>> };
  [group: string]: AnsibleGroup | AnsibleExport['_meta'];
}

export interface AnsibleView {
  /** Every group Ansible knows (also empty ones named as a child), with its direct hosts and children. */
  groups: Map<string, { hosts: string[]; children: string[]; vars: Record<string, unknown> }>;
  /** Every host with its own variables (inventory file and host_vars). */
  hosts: Map<string, Record<string, unknown>>;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function viewFromExport(data: AnsibleExport): AnsibleView {
  const groups: AnsibleView['groups'] = new Map();
  const ensure = (name: string) => {
    let g = groups.get(name);
    if (!g) groups.set(name, (g = { hosts: [], children: [], vars: {} }));
    return g;
  };
  for (const [name, value] of Object.entries(data)) {
    if (name === '_meta' || !isPlainObject(value)) continue;
    const entry = value as AnsibleGroup;
    const g = ensure(name);
    g.hosts.push(...(entry.hosts ?? []));
    for (const child of entry.children ?? []) {
      g.children.push(child);
      ensure(child);
    }
    Object.assign(g.vars, entry.vars ?? {});
  }
  ensure('all');
  const hosts: AnsibleView['hosts'] = new Map();
  for (const [name, vars] of Object.entries(data._meta?.hostvars ?? {})) hosts.set(name, { ...vars });
  for (const g of groups.values()) for (const h of g.hosts) if (!hosts.has(h)) hosts.set(h, {});
  return { groups, hosts };
}

/** Groups of every host (transitively through children), all included. */
export function hostGroups(view: AnsibleView): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  for (const h of view.hosts.keys()) result.set(h, new Set(['all']));
  const memo = new Map<string, Set<string>>();
  const membersOf = (g: string, stack: Set<string>): Set<string> => {
    const cached = memo.get(g);
    if (cached) return cached;
    const set = new Set<string>(view.groups.get(g)?.hosts ?? []);
    if (stack.has(g)) return set; // a cycle; Ansible refuses it before this point
    stack.add(g);
    for (const child of view.groups.get(g)?.children ?? []) for (const h of membersOf(child, stack)) set.add(h);
    stack.delete(g);
    memo.set(g, set);
    return set;
  };
  for (const g of view.groups.keys()) {
    if (g === 'all') continue;
    for (const h of membersOf(g, new Set())) result.get(h)?.add(g);
  }
  return result;
}

/** Depth of every group below all (Ansible orders group variables by depth, priority, name). */
export function groupDepths(view: AnsibleView): Map<string, number> {
  const depth = new Map<string, number>([['all', 0]]);
  const queue = ['all'];
  // longest path from all, bounded (cycles cannot make it loop forever)
  for (let steps = 0; queue.length > 0 && steps < 100_000; steps++) {
    const g = queue.shift()!;
    const d = depth.get(g)!;
    for (const child of view.groups.get(g)?.children ?? []) {
      if ((depth.get(child) ?? -1) < d + 1 && d + 1 < 64) {
        depth.set(child, d + 1);
        queue.push(child);
      }
    }
  }
  for (const g of view.groups.keys()) if (!depth.has(g)) depth.set(g, 1);
  return depth;
}

/** A host's variables as Ansible merges them: groups by depth, priority and name, then the host's own. */
export function mergedHostVars(
  view: AnsibleView,
  host: string,
  groups: Set<string>,
  depths: Map<string, number>,
): Record<string, unknown> {
  const priority = (g: string) => Number(view.groups.get(g)?.vars.ansible_group_priority ?? 1) || 1;
  const ordered = [...groups].sort(
    (a, b) => depths.get(a)! - depths.get(b)! || priority(a) - priority(b) || (a < b ? -1 : a > b ? 1 : 0),
  );
  const out: Record<string, unknown> = {};
  for (const g of ordered) Object.assign(out, view.groups.get(g)?.vars ?? {});
  Object.assign(out, view.hosts.get(host) ?? {});
  return out;
}

export interface YamlInventoryInput {
  /** Parsed hosts file (YAML inventory). */
  hosts: unknown;
  /** Parsed group_vars files: group name and data, in the order Ansible loads them. */
  groupVars: { group: string; data: unknown }[];
  /** Parsed host_vars files. */
  hostVars: { host: string; data: unknown }[];
}

/**
 * Reads a YAML inventory the way Ansible's `yaml` inventory plugin does: top-level keys are
 * groups (`all` is the implicit parent), each with `hosts`, `vars` and `children` (which may
 * define groups themselves). Gives the export JSON as a view; group_vars and host_vars files are
 * merged on top of the inventory file's variables (later files win).
 */
export function viewFromYaml(input: YamlInventoryInput): AnsibleView {
  const groups: AnsibleView['groups'] = new Map();
  const hosts: AnsibleView['hosts'] = new Map();
  const ensure = (name: string) => {
    let g = groups.get(name);
    if (!g) groups.set(name, (g = { hosts: [], children: [], vars: {} }));
    return g;
  };
  ensure('all');
  const visit = (name: string, entry: unknown, depth: number) => {
    const g = ensure(name);
    if (!isPlainObject(entry) || depth > 64) return;
    if (isPlainObject(entry.hosts)) {
      for (const [host, vars] of Object.entries(entry.hosts)) {
        if (!g.hosts.includes(host)) g.hosts.push(host);
        const own = hosts.get(host) ?? {};
        if (isPlainObject(vars)) Object.assign(own, vars);
        hosts.set(host, own);
      }
    }
    if (isPlainObject(entry.vars)) Object.assign(g.vars, entry.vars);
    if (isPlainObject(entry.children)) {
      for (const [child, childEntry] of Object.entries(entry.children)) {
        if (!g.children.includes(child)) g.children.push(child);
        visit(child, childEntry, depth + 1);
      }
    }
  };
  if (isPlainObject(input.hosts)) {
    for (const [name, entry] of Object.entries(input.hosts)) {
      if (name !== 'all' && !groups.get('all')!.children.includes(name)) groups.get('all')!.children.push(name);
      visit(name, entry, 0);
    }
  }
  // group_vars of a group the inventory does not define are not read by Ansible
  for (const { group, data } of input.groupVars) {
    if (isPlainObject(data) && groups.has(group)) Object.assign(groups.get(group)!.vars, data);
  }
  for (const { host, data } of input.hostVars) {
    if (!isPlainObject(data) || !hosts.has(host)) continue;
    Object.assign(hosts.get(host)!, data);
  }
  return { groups, hosts };
}
