/**
 * Blueprint format v1 (`apiVersion: halab/v1`, `kind: Lab`), defined once
 * here. The JSON Schema in `lab-blueprints/schema.json` is generated from
 * this (`npm run schema`); a test keeps them in sync. Shapes only: the rules
 * that relate one part to another (addresses inside subnets, references,
 * duplicates, …) live in `validate.ts`.
 *
 * Browser-safe: no Node imports (the renderer validates with the same code).
 */
import { z } from 'zod';
import { msg, type Message } from '../i18n';

/**
 * Size caps: a blueprint beyond them is refused with an error at the line,
 * so a hostile or broken file cannot make validation, the editor or a
 * provider do unbounded work.
 */
export const LIMITS = {
  /** Characters of blueprint text (a 200-VM lab with comments and layout is under 64 KiB). */
  textChars: 128 * 1024,
  nodes: 200,
  networks: 20,
  /** VMware gives a VM at most 10 virtual NICs (ethernet0–9). */
  nicsPerNode: 10,
  vips: 32,
  vipMembers: 16,
  roles: 16,
  /** Any list of node names in services (members, replicas, …). */
  nodeRefs: 200,
  ports: 16,
  adminSources: 64,
  drills: 32,
  positions: 1000,
  /** Names and references (hostnames, networks, templates, VIP groups). */
  nameChars: 253,
  /** One-line text (title, paths, channel, schedule). */
  textLineChars: 256,
  descriptionChars: 4096,
  /** YAML aliases (`*name`) in one file. */
  aliases: 100,
  /** Nodes of the document once every alias is expanded (an alias bomb is refused). */
  expandedNodes: 20000,
  /** Nesting depth of mappings and lists. */
  depth: 32,
} as const;

/** A pattern check with what it expects and a fix that quotes a corrected value (English, and as catalog messages for the reader's language). */
export interface FormatRule {
  expect: string;
  fix: (bad: string) => string;
  expectMsg?: Message;
  fixMsg?: (bad: string) => Message;
}
const formatRules = new Map<string, FormatRule>();
/** The rule behind a zod regex issue (`pattern` as zod reports it). */
export const formatRuleFor = (pattern: string | undefined): FormatRule | undefined => (pattern === undefined ? undefined : formatRules.get(pattern));
function pattern(s: z.ZodString, re: RegExp, rule: FormatRule): z.ZodString {
  formatRules.set(String(re), rule);
  return s.regex(re, rule.expect);
}
const show = (v: string) => JSON.stringify(v.length > 80 ? v.slice(0, 80) : v);
// C0 and C1 control characters and the Unicode line/paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const CONTROL_EXCEPT_NL_TAB = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g;
/** One line of text without control characters, at most `max` characters. */
const line = (max: number = LIMITS.textLineChars) =>
  pattern(z.string().max(max), /^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$/, {
    expect: 'one line of text without control characters (line breaks, tabs, escape codes)',
    fix: (bad) => `Remove the control characters: ${show(bad.replace(CONTROL, ' ').replace(/ +/g, ' ').trim())}.`,
    expectMsg: msg('fmt.line.expect'),
    fixMsg: (bad) => msg('fmt.controls.fix', { value: show(bad.replace(CONTROL, ' ').replace(/ +/g, ' ').trim()) }),
  });
/** Free text: line breaks and tabs allowed, other control characters not. */
const prose = () =>
  pattern(z.string().max(LIMITS.descriptionChars), /^[^\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]*$/, {
    expect: 'text without control characters other than line breaks and tabs',
    fix: (bad) => `Remove the control characters: ${show(bad.replace(CONTROL_EXCEPT_NL_TAB, ''))}.`,
    expectMsg: msg('fmt.prose.expect'),
    fixMsg: (bad) => msg('fmt.controls.fix', { value: show(bad.replace(CONTROL_EXCEPT_NL_TAB, '')) }),
  });
const name = () => line(LIMITS.nameChars);
/** The catalog's word for an identifier's `what` (the English text when it has none yet). */
const IDENTIFIER_WORDS: Record<string, Message> = {
  'a zone name': msg('fmt.what.zone'),
  'a MySQL user name': msg('fmt.what.mysqlUser'),
  'a schema name': msg('fmt.what.schema'),
  'a Sentinel master name': msg('fmt.what.sentinelMaster'),
  'a name': msg('fmt.what.name'),
};
/** Identifiers of the same length share one pattern (zod reports only the pattern): then the rule names no kind ("a name"). */
const identifierKinds = new Map<string, string>();
const identifier = (kind: string, max: number, fallback: string) => {
  const re = new RegExp(`^[A-Za-z0-9_]{1,${max}}$`);
  const seen = identifierKinds.get(String(re));
  const what = seen === undefined || seen === kind ? kind : 'a name';
  identifierKinds.set(String(re), what);
  return pattern(z.string(), re, {
    expect: `${what} of 1–${max} letters, digits and _`,
    fix: (bad) => `Use ${show(bad.replace(/[^A-Za-z0-9_]/g, '_').slice(0, max) || fallback)}.`,
    expectMsg: msg('fmt.identifier.expect', { what: IDENTIFIER_WORDS[what] ?? what, max }),
    fixMsg: (bad) => msg('fmt.use', { value: show(bad.replace(/[^A-Za-z0-9_]/g, '_').slice(0, max) || fallback) }),
  });
};


export const ROLES = ['loadbalancer', 'app', 'database', 'monitoring', 'bastion', 'nfs', 'generic', 'k8s-control', 'k8s-worker', 'cache', 'firewall'] as const;
export const NETWORK_TYPES = ['nat', 'hostonly', 'bridged', 'custom'] as const;
export const DB_ENGINES = ['mysql8', 'mariadb', 'postgresql'] as const;
export const DB_REPLICATION = ['async', 'semi-sync'] as const;
/** Load balancer engines: nginx (passive health checks) or HAProxy (active checks, stats page). */
export const LB_ENGINES = ['nginx', 'haproxy'] as const;
export const CACHE_ENGINES = ['redis'] as const;
/** nginx proxy_next_upstream conditions (open-source nginx; `non_idempotent` is a separate switch). */
export const NEXT_UPSTREAM_CONDITIONS = ['error', 'timeout', 'invalid_header', 'http_500', 'http_502', 'http_503', 'http_504', 'http_403', 'http_404', 'http_429'] as const;
/** Hardening profiles (issue 14): `baseline` = the seed's sysctl set, fail2ban for sshd, the sshd settings; `none` = the sshd settings only. */
export const HARDENING = ['baseline', 'none'] as const;
export const ZONE_PROTOCOLS = ['tcp', 'udp'] as const;
export const DRILLS = ['lb-master-down', 'lb-nginx-stop', 'lb-keepalived-stop', 'app-down', 'db-primary-down', 'split-brain', 'maintenance', 'pg-primary-down', 'redis-master-down'] as const;

const hostname = name().describe('A node hostname (RFC 1123: lowercase letters, digits and hyphens).');
const ipv4 = line(64).describe('An IPv4 address, e.g. 192.168.10.11.');
const nodeRef = name().describe('The hostname of a node in this blueprint.');
const port = z.number().int().min(1).max(65535);

export const DhcpSchema = z
  .strictObject({
    start: ipv4.describe('First address of the DHCP pool (VMware: .128).'),
    end: ipv4.describe('Last address of the DHCP pool (VMware: .254).'),
  })
  .describe('DHCP pool handed out by the hypervisor on this network.');

export const NetworkSchema = z
  .strictObject({
    name: name().describe('VMnet name, e.g. vmnet8 (NAT) or vmnet2 (custom).'),
    type: z.enum(NETWORK_TYPES).describe('nat, hostonly, bridged or custom.'),
    subnet: line(64).describe('Subnet in CIDR form, e.g. 192.168.10.0/24. Use a private range.'),
    hostAddress: ipv4.optional().describe('The host PC’s address on this network (VMware uses .1). Default: .1.'),
    natGateway: ipv4.optional().describe('NAT gateway and DNS (VMware uses .2). Only for type nat. Default: .2.'),
    dhcp: z.union([DhcpSchema, z.literal('none')]).optional().describe('DHCP pool, or "none". Default: .128–.254.'),
    zone: identifier('a zone name', 32, 'zone').optional().describe('Makes this network a zone (issue 14), e.g. dmz, app, data, management: traffic between zones goes only through the firewall VM (services.firewall.zones) and only as its allow-list says.'),
    description: prose().optional(),
  })
  .describe('A virtual network (VMware VMnet).');

export const NicSchema = z
  .strictObject({
    network: name().describe('Name of the network this NIC is wired to.'),
    address: ipv4.describe('Static IPv4 address of this NIC.'),
    mac: line(64).optional().describe('Static MAC in VMware’s range 00:50:56:00:00:00–00:50:56:3F:FF:FF. Generated when omitted.'),
  })
  .describe('A virtual NIC.');

export const NodeSchema = z
  .strictObject({
    hostname,
    roles: z.array(z.enum(ROLES)).max(LIMITS.roles).describe('What this VM does (at least one).'),
    template: name().optional().describe('Template VM or OS image name. Default: defaults.template.'),
    vcpus: z.number().int().min(1).max(64).optional().describe('Virtual CPUs. Default: defaults.vcpus.'),
    memoryMiB: z.number().int().min(256).max(262144).optional().describe('Memory in MiB. Default: defaults.memoryMiB.'),
    diskGiB: z.number().int().min(4).max(4096).optional().describe('Disk size in GiB. Default: defaults.diskGiB.'),
    nics: z.array(NicSchema).max(LIMITS.nicsPerNode).describe('Network interfaces in order (ens33, ens34, … on Ubuntu); at least one.'),
    description: prose().optional(),
    placement: z
      .strictObject({ target: name().describe('The cluster member (its name in `incus cluster list`) this VM must run on.') })
      .optional()
      .describe('Incus/LXD only: pin this VM to one cluster member. Without it the cluster decides. Other providers ignore it.'),
  })
  .describe('A virtual machine.');

export const VipMemberSchema = z.strictObject({
  node: nodeRef,
  priority: z.number().int().min(1).max(254).describe('VRRP priority; the highest holds the VIP. Keep them distinct.'),
});

export const VipSchema = z
  .strictObject({
    name: name().describe('A short name for this VIP group, e.g. web.'),
    address: ipv4.describe('The virtual IP address.'),
    network: name().describe('Network the VIP lives on; every member needs a NIC there.'),
    virtualRouterId: z.number().int().min(1).max(255).describe('VRRP virtual router id (1–255), unique on the network.'),
    version: z.literal([2, 3]).optional().describe('VRRP version: 2 (adverts in whole seconds) or 3 (centisecond adverts, 0.01–40.95 s, for sub-second failover). Default: 2.'),
    advertInterval: z.number().min(0.01).max(255).default(1).describe('Seconds between VRRP adverts: VRRPv2 whole seconds 1–255, VRRPv3 0.01–40.95 in steps of 0.01. The backup takes over after 3 × this plus a skew.'),
    mode: z.enum(['multicast', 'unicast']).default('multicast').describe('How peers find each other.'),
    preempt: z
      .union([z.boolean(), z.strictObject({ delay: z.number().min(0).max(1000).describe('Seconds a recovered higher-priority member waits before taking the VIP back (keepalived preempt_delay, 0–1000).') })])
      .optional()
      .describe('Whether a recovered higher-priority member takes the VIP back: true (at once), false (nopreempt: it stays with the backup), or {delay: seconds}. false and delay render state BACKUP on every member. Default: true.'),
    track: z.enum(['nginx', 'haproxy', 'none']).default('nginx').describe('Service whose failure moves the VIP away: the load balancer (nginx or haproxy: keepalived checks the engine services.loadBalancer.engine names) or none.'),
    trackScript: z
      .strictObject({
        interval: z.number().min(0.01).max(3600).optional().describe('Seconds between checks (default 2).'),
        timeout: z.number().min(0.01).max(3600).optional().describe('Seconds a check may take before it counts as failed (default: the interval, at most 1 s for the HTTP check itself).'),
        fall: z.number().int().min(1).max(100).optional().describe('Failed checks in a row before the member gives up (default 2).'),
        rise: z.number().int().min(1).max(100).optional().describe('Passed checks in a row before it counts as healthy again (default 2).'),
        weight: z.number().int().min(-253).max(253).optional().describe('0 (default): after `fall` failures the member goes to FAULT and releases the VIP at once. Non-zero: its priority changes by this much instead, which must exceed the priority gap (and never moves the VIP with preempt: false).'),
        onStop: z.boolean().optional().describe('Also give up the VIP the moment systemd sees nginx stop or crash (an nginx ExecStopPost hook writes a keepalived track_file), instead of waiting up to interval × fall for the check. Default: false.'),
      })
      .optional()
      .describe('How keepalived checks the tracked service: detection takes about interval × fall.'),
    members: z.array(VipMemberSchema).max(LIMITS.vipMembers).describe('Nodes sharing the VIP (at least two).'),
  })
  .describe('A keepalived VRRP group sharing one virtual IP.');

export const LoadBalancerSchema = z
  .strictObject({
    members: z.array(nodeRef).max(LIMITS.nodeRefs).describe('Nodes running nginx as load balancer.'),
    engine: z.enum(LB_ENGINES).default('nginx').describe('nginx (passive health checks) or haproxy (active health checks, redispatch with retries, a stats page for the admin sources). Default: nginx.'),
    haproxy: z
      .strictObject({
        checkIntervalMs: z.number().int().min(100).max(3600000).default(2000).describe('HAProxy: ms between active health checks of each app server (inter).'),
        fall: z.number().int().min(1).max(100).default(2).describe('HAProxy: failed checks in a row before an app server is taken out.'),
        rise: z.number().int().min(1).max(100).default(2).describe('HAProxy: passed checks in a row before it is taken back.'),
        checkPath: line(128).default('/').describe('HAProxy: the HTTP path of the active check (must answer 2xx/3xx). Default "/": the app answers; the sample app’s /health also fails while its database is down, which takes every app server out during a database failover.'),
        retries: z.number().int().min(0).max(100).default(2).describe('HAProxy: connection retries; with option redispatch the last goes to another app server.'),
        statsPort: port.default(8404).describe('HAProxy: port of the stats page, reachable only from the admin sources.'),
      })
      .default({ checkIntervalMs: 2000, fall: 2, rise: 2, checkPath: '/', retries: 2, statsPort: 8404 })
      .describe('HAProxy settings (engine: haproxy).'),
    listen: z.array(port).min(1).max(LIMITS.ports).default([80]).describe('Ports nginx listens on.'),
    upstream: z.strictObject({
      members: z.array(nodeRef).max(LIMITS.nodeRefs).describe('App servers behind the load balancer.'),
      port: port.optional().describe('Port of the app servers. Default: services.app.port.'),
    }),
    passiveHealth: z
      .strictObject({
        maxFails: z.number().int().min(1).max(100).default(2),
        failTimeoutSeconds: z.number().int().min(1).max(3600).default(5),
      })
      .default({ maxFails: 2, failTimeoutSeconds: 5 })
      .describe('nginx max_fails / fail_timeout.'),
    proxy: z
      .strictObject({
        connectTimeoutSeconds: z.number().min(0.001).max(75).optional().describe('proxy_connect_timeout: how long nginx waits to connect to an app server before trying the next (default 1).'),
        sendTimeoutSeconds: z.number().min(0.001).max(3600).optional().describe('proxy_send_timeout (default 10).'),
        readTimeoutSeconds: z.number().min(0.001).max(3600).optional().describe('proxy_read_timeout (default 10).'),
        nextUpstream: z
          .strictObject({
            on: z.array(z.enum(NEXT_UPSTREAM_CONDITIONS)).max(NEXT_UPSTREAM_CONDITIONS.length).optional().describe('When a request goes to the next app server (proxy_next_upstream); [] turns retries off. Default: error, timeout, http_502, http_503, http_504.'),
            nonIdempotent: z.boolean().optional().describe('Also retry POST/PATCH/LOCK that may have reached an app (may book a reservation twice). Default: false.'),
            tries: z.number().int().min(0).max(100).optional().describe('proxy_next_upstream_tries: most servers tried per request, 0 = no limit. Default: the number of app servers (at least 2).'),
            timeoutSeconds: z.number().min(0).max(3600).optional().describe('proxy_next_upstream_timeout: time limit for all tries, 0 = no limit. Default 5.'),
          })
          .optional()
          .describe('nginx retries on another app server.'),
      })
      .optional()
      .describe('nginx proxy timeouts and retries (proxy_connect_timeout, proxy_next_upstream…).'),
  })
  .describe('nginx load balancing.');

export const AppSchema = z
  .strictObject({
    members: z.array(nodeRef).max(LIMITS.nodeRefs),
    port: port.default(3000),
    readFromReplica: z.boolean().default(true).describe('Serve look-ups from a replica.'),
  })
  .describe('The sample reservation app (Node.js).');

const account = z.strictObject({ user: identifier('a MySQL user name', 32, 'app') });

export const DatabaseSchema = z
  .strictObject({
    engine: z.enum(DB_ENGINES).describe('mysql8, mariadb or postgresql (15, with Patroni when it has replicas).'),
    primary: nodeRef,
    replicas: z
      .array(z.union([nodeRef, z.strictObject({ node: nodeRef, engine: z.enum(DB_ENGINES).optional().describe('Engine of this replica; must equal the primary’s.') })]))
      .max(LIMITS.nodeRefs)
      .default([])
      .describe('Replicas of the primary: a hostname, or {node, engine}.'),
    replication: z.enum(DB_REPLICATION).optional().describe('async (default): a crash of the primary can lose acknowledged rows. semi-sync: a commit is acknowledged only after a replica has it (AFTER_SYNC), so a failover loses nothing while semi-sync is on.'),
    semiSyncTimeoutMs: z.number().int().min(1).max(3600000).optional().describe('semi-sync: how long a commit waits for a replica before the primary falls back to async (rpl_semi_sync_master_timeout; MySQL 8: rpl_semi_sync_source_timeout). Default 10000, the servers’ own.'),
    patroni: z
      .strictObject({
        etcd: z.array(nodeRef).max(LIMITS.nodeRefs).describe('Nodes running the etcd members Patroni keeps its leader key in: 3 (or another odd number); they may share the DB and monitoring VMs.'),
        ttl: z.number().int().min(5).max(3600).default(30).describe('Seconds the leader key lives without a refresh: a dead primary is replaced about this long after it stops (Patroni ttl).'),
        loopWait: z.number().int().min(1).max(600).default(10).describe('Seconds between Patroni HA loops (loop_wait).'),
        retryTimeout: z.number().int().min(1).max(600).default(10).describe('Seconds Patroni retries etcd and PostgreSQL before demoting (retry_timeout); loopWait + 2 × retryTimeout must not exceed ttl.'),
        maximumLagOnFailover: z.number().int().min(0).max(1099511627776).default(1048576).describe('Bytes a standby may lag and still be promoted (maximum_lag_on_failover).'),
        synchronous: z.boolean().default(false).describe('Patroni synchronous_mode: a commit is acknowledged only once a standby has flushed it, and only that standby is promoted, so a failover loses no acknowledged row (while a standby is up). Default false: asynchronous, a power cut can lose the last commits.'),
      })
      .optional()
      .describe('postgresql with replicas: automatic failover by Patroni over etcd (required then; not needed for a single PostgreSQL).'),
    schema: identifier('a schema name', 64, 'reservations').default('reservations'),
    accounts: z
      .strictObject({
        app: account.default({ user: 'app' }),
        replication: account.default({ user: 'repl' }),
        monitoring: account.default({ user: 'exporter' }),
        backup: account.default({ user: 'backup' }),
      })
      .default({ app: { user: 'app' }, replication: { user: 'repl' }, monitoring: { user: 'exporter' }, backup: { user: 'backup' } })
      .describe('One least-privilege account per purpose; passwords are generated per lab, never stored here.'),
  })
  .describe('MySQL 8, MariaDB or PostgreSQL primary with replicas.');

export const CacheSchema = z
  .strictObject({
    engine: z.enum(CACHE_ENGINES).default('redis').describe('redis (7, with Sentinel).'),
    primary: nodeRef.describe('Node running the Redis primary.'),
    replicas: z.array(nodeRef).max(LIMITS.nodeRefs).default([]).describe('Nodes running Redis replicas of the primary.'),
    sentinels: z.array(nodeRef).max(LIMITS.nodeRefs).default([]).describe('Nodes running Redis Sentinel (3 or another odd number; they may share the cache and app VMs).'),
    masterName: identifier('a Sentinel master name', 32, 'halab').default('halab').describe('The name the Sentinels know the primary by.'),
    quorum: z.number().int().min(1).max(LIMITS.nodeRefs).default(2).describe('Sentinels that must agree the primary is down before a failover.'),
    downAfterMs: z.number().int().min(100).max(3600000).default(5000).describe('ms without an answer before a Sentinel thinks the primary is down (down-after-milliseconds).'),
    failoverTimeoutMs: z.number().int().min(1000).max(3600000).default(60000).describe('Sentinel failover-timeout in ms.'),
    port: port.default(6379).describe('Redis port.'),
    sentinelPort: port.default(26379).describe('Sentinel port.'),
    maxmemoryMiB: z.number().int().min(1).max(262144).default(64).describe('Redis maxmemory in MiB.'),
  })
  .describe('Redis primary with replicas and Sentinel for automatic failover.');

export const MonitoringSchema = z
  .strictObject({
    prometheus: nodeRef.describe('Node running Prometheus.'),
    alertmanager: nodeRef.optional().describe('Node running Alertmanager. Default: the Prometheus node.'),
    loki: nodeRef.optional().describe('Node running Loki. Default: the Prometheus node.'),
    alertReceiver: z
      .strictObject({
        type: z.literal('slack'),
        channel: line().default('#lab-alerts'),
        webhookUrlFile: line().optional().describe('File on the monitoring VM holding the webhook URL (keeps it out of the blueprint).'),
      })
      .optional(),
  })
  .describe('Prometheus, Alertmanager and Loki.');

export const BackupSchema = z
  .strictObject({
    runOn: nodeRef.describe('Node that runs the backup script (usually a replica).'),
    schedule: pattern(z.string(), /^[A-Za-z0-9*:,./~+_ -]{1,64}$/, {
      expect: 'a systemd OnCalendar expression on one line: letters, digits, spaces and * : , . / ~ + - _ (at most 64)',
      fix: (bad) => `Write it like "*-*-* 04:00:00" or "Mon..Fri 02:30"; without the bad characters: ${show(bad.replace(/[^A-Za-z0-9*:,./~+_ -]/g, ' ').replace(/ +/g, ' ').trim().slice(0, 64) || '*-*-* 04:00:00')}.`,
      expectMsg: msg('fmt.schedule.expect'),
      fixMsg: (bad) => msg('fmt.schedule.fix', { value: show(bad.replace(/[^A-Za-z0-9*:,./~+_ -]/g, ' ').replace(/ +/g, ' ').trim().slice(0, 64) || '*-*-* 04:00:00') }),
    })
      .default('*-*-* 04:00:00')
      .describe('systemd OnCalendar expression.'),
    retentionDays: z.number().int().min(1).max(3650).default(7),
    targetDir: pattern(z.string().max(LIMITS.textLineChars), /^\/[A-Za-z0-9._/-]*$/, {
      expect: 'an absolute path of letters, digits and . _ / -',
      fix: (bad) => `Use ${show(`/${bad.replace(/[^A-Za-z0-9._/-]/g, '_').replace(/^\/+/, '')}`)}.`,
      expectMsg: msg('fmt.path.expect'),
      fixMsg: (bad) => msg('fmt.use', { value: show(`/${bad.replace(/[^A-Za-z0-9._/-]/g, '_').replace(/^\/+/, '')}`) }),
    }).default('/var/backups/halab'),
    copyTo: nodeRef.optional().describe('Node (e.g. an NFS server) that receives a copy of each dump.'),
  })
  .describe('Nightly database dumps with an integrity check.');

export const FirewallSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    adminSources: z.array(line(64)).max(LIMITS.adminSources).optional().describe('CIDRs allowed to SSH in. Default: the host address of every network.'),
    zones: z
      .strictObject({
        router: nodeRef.describe('The VM with the firewall role: a NIC in every zone; it forwards between them and enforces the allow-list with nftables.'),
        allow: z
          .array(
            z.strictObject({
              from: name().describe('Zone the connection starts in, or "all".'),
              to: name().describe('Zone the connection goes to, or "all" (every other zone).'),
              ports: z.array(port).min(1).max(LIMITS.ports).describe('Destination ports.'),
              protocol: z.enum(ZONE_PROTOCOLS).default('tcp'),
              why: line().optional().describe('What the rule is for (shown in plan and verify).'),
            }),
          )
          .max(LIMITS.nodeRefs)
          .default([])
          .describe('Allowed traffic between zones; everything else is denied.'),
      })
      .optional()
      .describe('The routed firewall between zones (nftables on the router, UFW on every VM as today).'),
  })
  .describe('UFW on every VM.');

export const ServicesSchema = z.strictObject({
  vips: z.array(VipSchema).max(LIMITS.vips).default([]),
  loadBalancer: LoadBalancerSchema.optional(),
  app: AppSchema.optional(),
  database: DatabaseSchema.optional(),
  cache: CacheSchema.optional(),
  monitoring: MonitoringSchema.optional(),
  backup: BackupSchema.optional(),
  firewall: FirewallSchema.default({ enabled: true }),
});

export const LayoutSchema = z
  .strictObject({
    positions: z
      .record(name(), z.strictObject({ x: z.number(), y: z.number() }))
      .refine((p) => Object.keys(p).length <= LIMITS.positions, { message: `at most ${LIMITS.positions} positions`, params: { msg: msg('fmt.maxPositions', { max: LIMITS.positions }) } })
      .default({}),
    addressPlan: z
      .enum(['role', 'first-free'])
      .optional()
      .describe('How the editor picks a new NIC address: by role (load balancers .11+, app .21+, database .31+, monitoring .41+, others .51+, VIPs .100+) or the first free one. Default: role.'),
  })
  .describe('Canvas positions and editor choices; ignored by validation.');

export const DefaultsSchema = z.strictObject({
  template: name().default('ubuntu-22.04'),
  clone: z.enum(['linked', 'full']).default('linked'),
  vcpus: z.number().int().min(1).max(64).default(1),
  memoryMiB: z.number().int().min(256).max(262144).default(1024),
  diskGiB: z.number().int().min(4).max(4096).default(20),
});

/**
 * Service objectives (issue 14, seed 002: availability 99.9 %, RTO 30 min,
 * RPO 1 h). Every drill report judges its measured RTO and RPO against
 * them; the lab report estimates availability from the drills.
 */
export const ObjectivesSchema = z
  .strictObject({
    availability: z.number().gt(0).lt(100).optional().describe('Availability objective in percent of the time, e.g. 99.9.'),
    rtoSeconds: z.number().int().min(0).max(31_536_000).optional().describe('Recovery time objective: longest tolerated time, in seconds, until the service answers again after a failure.'),
    rpoSeconds: z.number().int().min(0).max(31_536_000).optional().describe('Recovery point objective: most data a failure may lose, in seconds of writes.'),
    failuresPerYear: z.number().gt(0).max(100_000).optional().describe('Failures a year you assume, for the availability estimate of the lab report (optional).'),
  })
  .describe('Objectives the drills are judged against.');

export const LabSchema = z
  .strictObject({
    apiVersion: z.literal('halab/v1'),
    kind: z.literal('Lab'),
    metadata: z.strictObject({
      name: name().describe('Lab name (lowercase letters, digits, hyphens); used for VM folders and networks.'),
      title: line().optional(),
      description: prose().optional(),
    }),
    defaults: DefaultsSchema.default({ template: 'ubuntu-22.04', clone: 'linked', vcpus: 1, memoryMiB: 1024, diskGiB: 20 }),
    networks: z.array(NetworkSchema).max(LIMITS.networks),
    nodes: z.array(NodeSchema).max(LIMITS.nodes),
    services: ServicesSchema.default({ vips: [], firewall: { enabled: true } }),
    drills: z.array(z.enum(DRILLS)).max(LIMITS.drills).default([]).describe('Failover drills that apply to this lab.'),
    objectives: ObjectivesSchema.optional(),
    hardening: z.enum(HARDENING).default('baseline').describe('OS hardening on every VM: baseline (default: the seed’s sysctl set, fail2ban for sshd that never bans the host, the sshd settings) or none (the sshd settings only).'),
    layout: LayoutSchema.optional(),
  })
  .describe('An HA Lab Studio blueprint.');

/** A blueprint after schema parsing (defaults filled in). */
export type Lab = z.output<typeof LabSchema>;
/** A blueprint as written (defaults optional). */
export type LabInput = z.input<typeof LabSchema>;
export type Network = Lab['networks'][number];
export type LabNode = Lab['nodes'][number];
export type Nic = LabNode['nics'][number];
export type Vip = Lab['services']['vips'][number];
export type Role = (typeof ROLES)[number];
export type DrillName = (typeof DRILLS)[number];
export type DbEngine = (typeof DB_ENGINES)[number];
export type LbEngine = (typeof LB_ENGINES)[number];
