// The topology diagram of an inventory (`npm run diagram`): a model of what the inventory deploys,
// taken from the generated vars (deriveVars, so it is what Ansible deploys), and its Graphviz DOT
// text. Pure and deterministic; scripts/diagram.ts renders the DOT to SVG.
import { TIERS } from './components.js';
import type { InventoryModel } from './inventory/model.js';
import type { GroupName } from './inventory/schema.js';
import { durationMs, memberNumsForKey, shardKey, shardLabels } from './scrape-shard.js';

export interface DiagramHost {
  name: string;
  address: string;
}

export interface DiagramTier {
  group: GroupName;
  hosts: DiagramHost[];
  /** Ports this tier listens on, e.g. `8480 http` */
  ports: string[];
}

export interface DiagramEntry {
  dnsName: string;
  port: number;
  url: string;
  /** Load balancer addresses the name resolves to. */
  addresses: string[];
}

export interface DiagramTarget {
  job: string;
  address: string;
  /** Inventory host behind the address (first one in group order). */
  host: string | undefined;
  /** Member numbers of the vmagents that scrape it; undefined when it depends on a secret not in the inventory. */
  memberNums: number[] | undefined;
}

export interface Topology {
  tiers: DiagramTier[];
  write: DiagramEntry;
  read: DiagramEntry;
  replicationFactor: number;
  storageNodes: number;
  scrapeInterval: string;
  dedupInterval: string;
  tls: boolean;
  auth: boolean;
  scrape: {
    membersCount: number;
    replicationFactor: number;
    /** vmagent hosts with their -promscrape.cluster.memberNum, by member number. */
    members: { host: string; memberNum: number }[];
    targets: DiagramTarget[];
  };
}

const TIER_TITLE: Record<string, string> = {
  vmagent: 'vmagent (scrape cluster)',
  lb_insert: 'write load balancers (nginx)',
  vminsert: 'vminsert',
  vmstorage: 'vmstorage',
  vmselect: 'vmselect',
  lb_select: 'read load balancers (nginx)',
  grafana: 'Grafana',
};

const isJinja = (value: string | undefined): boolean => value === undefined || value.includes('{{');

/**
 * The topology of a valid inventory. `vars` is deriveVars(model). The shard of a job scraped with
 * the metrics key (its hash includes the key) is computed only when the inventory holds the key
 * itself, not a vault reference; the key never appears in the result.
 */
export function topologyFromInventory(model: InventoryModel, vars: Record<string, unknown>): Topology {
  const s = model.settings;
  const p = s.ports;
  const tierPorts: Record<string, string[]> = {
    vmagent: [`${p.vmagent_http} http`],
    lb_insert: [`${p.lb_insert} ${s.tlsEnabled ? 'https' : 'http'}`],
    vminsert: [`${p.vminsert_http} http`],
    vmstorage: [`${p.vmstorage_insert} from vminsert`, `${p.vmstorage_select} from vmselect`, `${p.vmstorage_http} http`],
    vmselect: [`${p.vmselect_http} http`],
    lb_select: [`${p.lb_select} ${s.tlsEnabled ? 'https' : 'http'}`],
    grafana: [`${p.grafana} http`],
  };
  const tiers = TIERS.filter((group) => model.members[group].length > 0).map((group) => ({
    group,
    hosts: model.members[group].map((h) => ({ name: h.name, address: h.address ?? '?' })),
    ports: tierPorts[group] ?? [],
  }));

  const memberNums = vars.vmagent_cluster_member_nums as Record<string, number>;
  const membersCount = vars.vmagent_cluster_members_count as number;
  const scrapeRf = vars.vmagent_cluster_replication_factor as number;
  const jobs = vars.vmagent_scrape_jobs as Record<string, string[]>;
  const authJobs = new Set(vars.vmagent_scrape_auth_jobs as string[]);
  const metricsKey = s.componentSecrets.vmha_metrics_auth_key;
  const intervalMs = durationMs(s.scrapeInterval);
  const hostOf = new Map<string, string>();
  for (const group of [...TIERS, 'node_exporter' as GroupName]) {
    for (const h of model.members[group]) if (h.address && !hostOf.has(h.address)) hostOf.set(h.address, h.name);
  }
  const targets: DiagramTarget[] = [];
  // jobs in the order of the rendered scrape config (dictsort), targets sorted (`| sort`)
  for (const job of Object.keys(jobs).sort()) {
    for (const address of [...jobs[job]!].sort()) {
      let nums: number[] | undefined;
      if (!authJobs.has(job)) nums = memberNumsForKey(shardKey(shardLabels({ job, address }, intervalMs)), membersCount, scrapeRf);
      else if (!isJinja(metricsKey)) {
        nums = memberNumsForKey(shardKey(shardLabels({ job, address, params: { authKey: metricsKey! } }, intervalMs)), membersCount, scrapeRf);
      }
      targets.push({ job, address, host: hostOf.get(address.replace(/:\d+$/, '')), memberNums: nums?.sort((a, b) => a - b) });
    }
  }
  const records = vars.dns_records as Record<string, string[]>;
  const scheme = s.tlsEnabled ? 'https' : 'http';
  return {
    tiers,
    write: {
      dnsName: s.writeDnsName!,
      port: p.lb_insert,
      url: vars.vmagent_remote_write_url as string,
      addresses: records[s.writeDnsName!] ?? [],
    },
    read: {
      dnsName: s.readDnsName!,
      port: p.lb_select,
      url: `${scheme}://${s.readDnsName}:${p.lb_select}/select/0/prometheus`,
      addresses: records[s.readDnsName!] ?? [],
    },
    replicationFactor: s.replicationFactor,
    storageNodes: model.members.vmstorage.length,
    scrapeInterval: s.scrapeInterval,
    dedupInterval: s.dedupInterval,
    tls: s.tlsEnabled,
    auth: s.authEnabled,
    scrape: {
      membersCount,
      replicationFactor: scrapeRf,
      members: Object.entries(memberNums)
        .map(([host, memberNum]) => ({ host, memberNum }))
        .sort((a, b) => a.memberNum - b.memberNum),
      targets,
    },
  };
}

/** A DOT double-quoted string. */
export function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** Text inside a DOT HTML-like label. */
export function htmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const nodeId = (group: string, host: string): string => dotString(`${group}/${host}`);

const COLORS: Record<string, string> = {
  vmagent: '#e8f0fe',
  lb_insert: '#fef7e0',
  vminsert: '#fce8e6',
  vmstorage: '#e6f4ea',
  vmselect: '#f3e8fd',
  lb_select: '#fef7e0',
  grafana: '#e8eaed',
};

function scrapeTable(t: Topology): string {
  const members = t.scrape.members;
  const head = [
    '<tr><td colspan="' + (2 + members.length) + '" bgcolor="#dadce0"><b>' +
      htmlText(
        `scrape cluster: ${t.scrape.membersCount} vmagents, every target scraped by ${t.scrape.replicationFactor} ` +
          `(-promscrape.cluster.replicationFactor), every ${t.scrapeInterval}`,
      ) +
      '</b></td></tr>',
    '<tr><td><b>job</b></td><td><b>target</b></td>' +
      members.map((m) => `<td><b>${htmlText(m.host)}</b><br/>memberNum ${m.memberNum}</td>`).join('') +
      '</tr>',
  ];
  const rows = t.scrape.targets.map((target) => {
    const where = target.host ? `${target.host} ${target.address}` : target.address;
    const cells = members
      .map((m) => {
        if (target.memberNums === undefined) return '<td>?</td>';
        return target.memberNums.includes(m.memberNum) ? '<td bgcolor="#1a73e8"><font color="white">scrapes</font></td>' : '<td> </td>';
      })
      .join('');
    return `<tr><td align="left">${htmlText(target.job)}</td><td align="left">${htmlText(where)}</td>${cells}</tr>`;
  });
  const unknown = t.scrape.targets.some((target) => target.memberNums === undefined);
  const foot = [
    '<tr><td colspan="' +
      (2 + members.length) +
      '" align="left">' +
      htmlText('assignment as vmagent computes it: xxhash64 of the target labels mod membersCount, then the next members') +
      (unknown ? '<br/>' + htmlText('? = the label hash includes the metrics key (authKey), which the inventory keeps in a vault') : '') +
      '</td></tr>',
  ];
  return `<<table border="0" cellborder="1" cellspacing="0" cellpadding="3">${[...head, ...rows, ...foot].join('')}</table>>`;
}

/** The Graphviz DOT text of a topology: left to right, scrape targets, write path, storage, read path. */
export function renderTopologyDot(t: Topology): string {
  const out: string[] = [];
  const tier = (group: string) => t.tiers.find((x) => x.group === group);
  const hostsOf = (group: string) => tier(group)?.hosts ?? [];
  out.push('digraph vmha {');
  out.push('  graph [rankdir=LR, fontname="Helvetica,Arial,sans-serif", fontsize=12, nodesep=0.25, ranksep=0.7, newrank=true, labelloc=t,');
  out.push(
    `    label=${dotString(
      `vmha topology: ${t.storageNodes} vmstorage, replication factor ${t.replicationFactor} (each sample on ${t.replicationFactor} of ${t.storageNodes} vmstorage nodes); ` +
        `dedup ${t.dedupInterval} = scrape interval ${t.scrapeInterval}; ${t.tls ? 'TLS' : 'no TLS'}, ${t.auth ? 'basic auth on every path' : 'no auth'}`,
    )}];`,
  );
  out.push('  node [shape=box, style="rounded,filled", fontname="Helvetica,Arial,sans-serif", fontsize=10, margin="0.15,0.06", fillcolor=white];');
  out.push('  edge [fontname="Helvetica,Arial,sans-serif", fontsize=9, color="#5f6368"];');

  out.push(`  "scrape targets" [shape=plain, style="", label=${scrapeTable(t)}];`);

  const tierNote = (group: string): string => {
    if (group === 'vmstorage') return `\nreplication factor ${t.replicationFactor}:\nevery sample on ${t.replicationFactor} of ${t.storageNodes} nodes`;
    if (group === 'vminsert') return `\nshards and replicates (-replicationFactor=${t.replicationFactor})`;
    if (group === 'vmselect') return `\n-replicationFactor=${t.replicationFactor}, -dedup.minScrapeInterval=${t.dedupInterval}`;
    if (group === 'vmagent') return `\nmembersCount ${t.scrape.membersCount}, replicationFactor ${t.scrape.replicationFactor}`;
    return '';
  };
  for (const x of t.tiers) {
    out.push(`  subgraph ${dotString(`cluster_${x.group}`)} {`);
    out.push(
      `    label=${dotString(`${TIER_TITLE[x.group] ?? x.group} (${x.hosts.length})\nlistens: ${x.ports.join(x.ports.length > 2 ? '\n' : ', ')}${tierNote(x.group)}`)}; style="rounded,filled"; fillcolor=${dotString(COLORS[x.group] ?? '#ffffff')}; color="#9aa0a6";`,
    );
    for (const h of x.hosts) {
      const extra =
        x.group === 'vmagent' ? `\nmemberNum ${t.scrape.members.find((m) => m.host === h.name)?.memberNum ?? '?'}` : '';
      out.push(`    ${nodeId(x.group, h.name)} [label=${dotString(`${h.name}\n${h.address}${extra}`)}];`);
    }
    out.push('  }');
  }

  const dns = (id: string, e: DiagramEntry, what: string) =>
    `  ${dotString(id)} [shape=note, fillcolor="#ffffff", label=${dotString(`${what} DNS name\n${e.url.replace(/^(https?:\/\/[^/]+)/, '$1\n')}\nresolves to ${e.addresses.join(', ')}`)}];`;
  out.push(dns('write dns', t.write, 'write'));
  out.push(dns('read dns', t.read, 'read'));

  // Both paths run left to right into the storage tier: scrapers and readers in the first
  // column, then the DNS names, the balancers, vminsert and vmselect, vmstorage last.
  const W = 'color="#1a73e8", fontcolor="#1a73e8"';
  const R = 'color="#188038", fontcolor="#188038"';
  for (const m of hostsOf('vmagent')) out.push(`  "scrape targets" -> ${nodeId('vmagent', m.name)} [label="scrape", style=dashed];`);
  for (const m of hostsOf('vmagent')) out.push(`  ${nodeId('vmagent', m.name)} -> "write dns" [${W}];`);
  for (const lb of hostsOf('lb_insert')) out.push(`  "write dns" -> ${nodeId('lb_insert', lb.name)} [${W}, label=${dotString(`:${t.write.port}`)}];`);
  for (const lb of hostsOf('lb_insert')) {
    for (const v of hostsOf('vminsert')) out.push(`  ${nodeId('lb_insert', lb.name)} -> ${nodeId('vminsert', v.name)} [${W}];`);
  }
  for (const v of hostsOf('vminsert')) {
    for (const st of hostsOf('vmstorage')) out.push(`  ${nodeId('vminsert', v.name)} -> ${nodeId('vmstorage', st.name)} [${W}];`);
  }
  const readers = hostsOf('grafana').map((g) => nodeId('grafana', g.name));
  if (readers.length === 0) {
    out.push('  "readers" [shape=plaintext, style="", label="readers"];');
    readers.push('"readers"');
  }
  for (const g of readers) out.push(`  ${g} -> "read dns" [${R}];`);
  for (const lb of hostsOf('lb_select')) out.push(`  "read dns" -> ${nodeId('lb_select', lb.name)} [${R}, label=${dotString(`:${t.read.port}`)}];`);
  for (const lb of hostsOf('lb_select')) {
    for (const v of hostsOf('vmselect')) out.push(`  ${nodeId('lb_select', lb.name)} -> ${nodeId('vmselect', v.name)} [${R}];`);
  }
  for (const v of hostsOf('vmselect')) {
    for (const st of hostsOf('vmstorage')) out.push(`  ${nodeId('vmselect', v.name)} -> ${nodeId('vmstorage', st.name)} [${R}];`);
  }
  const sameRank = (...ids: string[]) => {
    if (ids.length > 1) out.push(`  { rank=same; ${ids.join('; ')}; }`);
  };
  const ids = (group: string) => hostsOf(group).map((h) => nodeId(group, h.name));
  sameRank(...ids('vmagent'), ...readers);
  sameRank('"write dns"', '"read dns"');
  sameRank(...ids('lb_insert'), ...ids('lb_select'));
  sameRank(...ids('vminsert'), ...ids('vmselect'));
  out.push('}');
  return `${out.join('\n')}\n`;
}
