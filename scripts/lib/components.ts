// The ONE table of vmha's inventory groups and the ports their components listen on. The
// inventory contract (GROUPS, OPTIONAL_GROUPS, VmhaPorts, DEFAULT_PORTS, the schemas), the rules'
// sizes and ports, the seed inventories, the lab's layout and the generated port variables,
// firewall rules and scrape jobs are all derived from it: a new group is an entry in COMPONENTS
// and one in PORTS per port. Pure data.

/** What vmha knows about one inventory group. `G`: the names of the groups. */
interface GroupSpec<G extends string> {
  /** An inventory may leave the group out; its variables are generated only when it is present. */
  readonly optional?: true;
  /** Fewest hosts the group may have when present (2: the tier survives the loss of one host). */
  readonly minSize: number;
  /** Hosts in the seed topology (seed inventories, example inventory, lab); minSize when unset. */
  readonly seed?: number;
  /**
   * Place in the data flow (scrapers, write path, storage, read path, dashboards) of a tier: a
   * required group with hosts of its own. The seed inventories list the tiers in this order and
   * the topology diagram draws them so.
   */
  readonly tier?: number;
  /** The group's lab hosts: its own (`<prefix>-N` from 10.213.0.<firstOctet>), another group's, or every host. */
  readonly lab: { readonly prefix: string; readonly firstOctet: number } | { readonly on: G } | 'every host';
  /** The systemd unit the group runs and the role (= tag) that deploys it, where not the group's name. */
  readonly unit?: string;
  readonly role?: string;
}

/** A port of vmha_ports. `G`: the names of the groups. */
interface PortSpec<G extends string> {
  /** The group whose component listens on the port. */
  readonly group: G;
  readonly default: number;
  /** What listens there (the schema's description of the vmha_ports key). */
  readonly description: string;
  /** The generated variable that hands the port to the group's role. */
  readonly var?: string;
  /** Who the firewall lets in: the hosts of these groups, or any address (clients outside the cluster). */
  readonly from: readonly G[] | 'any';
  /** vmagent scrapes /metrics here as the job named after the group (one port a group), with the metrics key or without. */
  readonly scrape?: 'open' | 'metrics key';
  /** The path that answers 200 here when the component is healthy (one port a group; service_health checks it). */
  readonly health?: string;
}

// A plain `satisfies` cannot name the table's own keys (`lab.on`): the constraint does.
const componentTable = <const T extends { readonly [G in keyof T]: GroupSpec<keyof T & string> }>(table: T): T => table;

const TABLE = componentTable({
  vmstorage: { minSize: 2, seed: 3, tier: 4, lab: { prefix: 'vmstorage', firstOctet: 11 } },
  vminsert: { minSize: 2, tier: 3, lab: { prefix: 'vminsert', firstOctet: 21 } },
  vmselect: { minSize: 2, tier: 5, lab: { prefix: 'vmselect', firstOctet: 31 } },
  vmagent: { minSize: 2, seed: 3, tier: 1, lab: { prefix: 'vmagent', firstOctet: 61 } },
  lb_insert: { minSize: 2, tier: 2, lab: { prefix: 'lb-insert', firstOctet: 41 }, unit: 'nginx', role: 'nginx_lb' },
  lb_select: { minSize: 2, tier: 6, lab: { prefix: 'lb-select', firstOctet: 51 }, unit: 'nginx', role: 'nginx_lb' },
  // the inventories list the other groups as its children
  node_exporter: { minSize: 1, lab: 'every host' },
  grafana: { minSize: 1, tier: 7, lab: { prefix: 'grafana', firstOctet: 71 }, unit: 'grafana-server' },
  // HA alerting, both groups or neither (rule alerting-pair); each lab alert host runs both
  vmalert: { optional: true, minSize: 2, lab: { prefix: 'alert', firstOctet: 81 } },
  alertmanager: { optional: true, minSize: 2, lab: { on: 'vmalert' } },
});

export type GroupName = keyof typeof TABLE;
type GroupsWhere<Spec> = { [G in GroupName]: (typeof TABLE)[G] extends Spec ? G : never }[GroupName];
export type OptionalGroup = GroupsWhere<{ optional: true }>;
export type TierGroup = GroupsWhere<{ tier: number }>;

export const COMPONENTS: Readonly<Record<GroupName, GroupSpec<GroupName>>> = TABLE;
export const GROUPS = Object.keys(COMPONENTS) as readonly GroupName[];

/** In the order of the cluster-settings schema's vmha_ports (not the groups' order). */
const PORT_TABLE = {
  vmstorage_insert: {
    group: 'vmstorage', default: 8400, description: 'vmstorage port vminsert writes to (-vminsertAddr)',
    var: 'vmstorage_vminsert_port', from: ['vminsert'],
  },
  vmstorage_select: {
    group: 'vmstorage', default: 8401, description: 'vmstorage port vmselect reads from (-vmselectAddr)',
    var: 'vmstorage_vmselect_port', from: ['vmselect'],
  },
  // to other hosts it serves only /metrics (its admin APIs are used on the host itself)
  vmstorage_http: {
    group: 'vmstorage', default: 8482, description: 'vmstorage HTTP port (/metrics, -httpListenAddr)',
    var: 'vmstorage_http_port', from: ['vmagent'], scrape: 'metrics key', health: '/health',
  },
  vminsert_http: {
    group: 'vminsert', default: 8480, description: 'vminsert HTTP port the write load balancers forward to',
    var: 'vminsert_http_port', from: ['lb_insert', 'vmagent'], scrape: 'metrics key', health: '/health',
  },
  vmselect_http: {
    group: 'vmselect', default: 8481, description: 'vmselect HTTP port the read load balancers forward to',
    var: 'vmselect_http_port', from: ['lb_select', 'vmagent'], scrape: 'metrics key', health: '/health',
  },
  vmagent_http: {
    group: 'vmagent', default: 8429, description: 'vmagent HTTP port (/metrics)',
    var: 'vmagent_http_port', from: ['vmagent'], scrape: 'open', health: '/health',
  },
  node_exporter: {
    group: 'node_exporter', default: 9100, description: 'node_exporter port (/metrics)',
    var: 'node_exporter_port', from: ['vmagent'], scrape: 'open', health: '/',
  },
  // the load balancers' ports reach their role in nginx_lb_sites
  lb_insert: {
    group: 'lb_insert', default: 8480, description: 'port the write load balancers listen on (write DNS name)', from: 'any',
  },
  lb_select: {
    group: 'lb_select', default: 8481, description: 'port the read load balancers listen on (read DNS name)', from: 'any',
  },
  grafana: {
    group: 'grafana', default: 3000, description: 'Grafana HTTP port', var: 'grafana_http_port', from: 'any', health: '/api/health',
  },
  vmalert_http: {
    group: 'vmalert', default: 8880, description: 'vmalert HTTP port (/metrics, rules and alerts API)',
    var: 'vmalert_http_port', from: ['vmagent'], scrape: 'metrics key', health: '/health',
  },
  alertmanager_http: {
    group: 'alertmanager', default: 9093, description: 'Alertmanager HTTP port (vmalert sends alerts here)',
    var: 'alertmanager_http_port', from: ['vmalert', 'alertmanager', 'vmagent'], scrape: 'open', health: '/-/ready',
  },
  alertmanager_cluster: {
    group: 'alertmanager', default: 9094,
    description: 'Alertmanager cluster (gossip) port, TCP and UDP, between the alertmanagers',
    var: 'alertmanager_cluster_port', from: ['alertmanager'],
  },
} as const satisfies Record<string, PortSpec<GroupName>>;

export type PortKey = keyof typeof PORT_TABLE;
export const PORTS: Readonly<Record<PortKey, PortSpec<GroupName>>> = PORT_TABLE;

/** A table's values mapped under the same keys (Object.fromEntries forgets the keys' type). */
export function mapTable<K extends string, V, R>(table: Readonly<Record<K, V>>, f: (value: V, key: K) => R): Record<K, R> {
  return Object.fromEntries(Object.entries<V>(table).map(([key, value]) => [key, f(value, key as K)])) as Record<K, R>;
}

/** The ports each group's component listens on. */
export const GROUP_PORTS: Readonly<Record<GroupName, readonly PortKey[]>> = mapTable(COMPONENTS, (_, group) =>
  (Object.keys(PORTS) as PortKey[]).filter((key) => PORTS[key].group === group),
);

/** A group's hosts in the seed topology. */
export const seedSize = (group: GroupName): number => COMPONENTS[group].seed ?? COMPONENTS[group].minSize;

/** The tiers in the order data flows. */
export const TIERS = GROUPS
  .filter((g): g is TierGroup => COMPONENTS[g].tier !== undefined)
  .sort((a, b) => COMPONENTS[a].tier! - COMPONENTS[b].tier!);
