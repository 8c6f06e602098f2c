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

export const ROLES = ['loadbalancer', 'app', 'database', 'monitoring', 'bastion', 'nfs', 'generic', 'k8s-control', 'k8s-worker'] as const;
export const NETWORK_TYPES = ['nat', 'hostonly', 'bridged', 'custom'] as const;
export const DB_ENGINES = ['mysql8', 'mariadb'] as const;
export const DRILLS = ['lb-master-down', 'lb-nginx-stop', 'lb-keepalived-stop', 'app-down', 'db-primary-down', 'split-brain', 'maintenance'] as const;

const hostname = z.string().describe('A node hostname (RFC 1123: lowercase letters, digits and hyphens).');
const ipv4 = z.string().describe('An IPv4 address, e.g. 192.168.10.11.');
const nodeRef = z.string().describe('The hostname of a node in this blueprint.');
const port = z.number().int().min(1).max(65535);

export const DhcpSchema = z
  .strictObject({
    start: ipv4.describe('First address of the DHCP pool (VMware: .128).'),
    end: ipv4.describe('Last address of the DHCP pool (VMware: .254).'),
  })
  .describe('DHCP pool handed out by the hypervisor on this network.');

export const NetworkSchema = z
  .strictObject({
    name: z.string().describe('VMnet name, e.g. vmnet8 (NAT) or vmnet2 (custom).'),
    type: z.enum(NETWORK_TYPES).describe('nat, hostonly, bridged or custom.'),
    subnet: z.string().describe('Subnet in CIDR form, e.g. 192.168.10.0/24. Use a private range.'),
    hostAddress: ipv4.optional().describe('The host PC’s address on this network (VMware uses .1). Default: .1.'),
    natGateway: ipv4.optional().describe('NAT gateway and DNS (VMware uses .2). Only for type nat. Default: .2.'),
    dhcp: z.union([DhcpSchema, z.literal('none')]).optional().describe('DHCP pool, or "none". Default: .128–.254.'),
    description: z.string().optional(),
  })
  .describe('A virtual network (VMware VMnet).');

export const NicSchema = z
  .strictObject({
    network: z.string().describe('Name of the network this NIC is wired to.'),
    address: ipv4.describe('Static IPv4 address of this NIC.'),
    mac: z.string().optional().describe('Static MAC in VMware’s range 00:50:56:00:00:00–00:50:56:3F:FF:FF. Generated when omitted.'),
  })
  .describe('A virtual NIC.');

export const NodeSchema = z
  .strictObject({
    hostname,
    roles: z.array(z.enum(ROLES)).describe('What this VM does (at least one).'),
    template: z.string().optional().describe('Template VM or OS image name. Default: defaults.template.'),
    vcpus: z.number().int().min(1).max(64).optional().describe('Virtual CPUs. Default: defaults.vcpus.'),
    memoryMiB: z.number().int().min(256).max(262144).optional().describe('Memory in MiB. Default: defaults.memoryMiB.'),
    diskGiB: z.number().int().min(4).max(4096).optional().describe('Disk size in GiB. Default: defaults.diskGiB.'),
    nics: z.array(NicSchema).describe('Network interfaces in order (ens33, ens34, … on Ubuntu); at least one.'),
    description: z.string().optional(),
  })
  .describe('A virtual machine.');

export const VipMemberSchema = z.strictObject({
  node: nodeRef,
  priority: z.number().int().min(1).max(254).describe('VRRP priority; the highest holds the VIP. Keep them distinct.'),
});

export const VipSchema = z
  .strictObject({
    name: z.string().describe('A short name for this VIP group, e.g. web.'),
    address: ipv4.describe('The virtual IP address.'),
    network: z.string().describe('Network the VIP lives on; every member needs a NIC there.'),
    virtualRouterId: z.number().int().min(1).max(255).describe('VRRP virtual router id (1–255), unique on the network.'),
    advertInterval: z.number().int().min(1).max(255).default(1).describe('Seconds between VRRP adverts (VRRPv2: whole seconds).'),
    mode: z.enum(['multicast', 'unicast']).default('multicast').describe('How peers find each other.'),
    track: z.enum(['nginx', 'none']).default('nginx').describe('Service whose failure moves the VIP away.'),
    members: z.array(VipMemberSchema).describe('Nodes sharing the VIP (at least two).'),
  })
  .describe('A keepalived VRRP group sharing one virtual IP.');

export const LoadBalancerSchema = z
  .strictObject({
    members: z.array(nodeRef).describe('Nodes running nginx as load balancer.'),
    listen: z.array(port).min(1).default([80]).describe('Ports nginx listens on.'),
    upstream: z.strictObject({
      members: z.array(nodeRef).describe('App servers behind the load balancer.'),
      port: port.optional().describe('Port of the app servers. Default: services.app.port.'),
    }),
    passiveHealth: z
      .strictObject({
        maxFails: z.number().int().min(1).max(100).default(2),
        failTimeoutSeconds: z.number().int().min(1).max(3600).default(5),
      })
      .default({ maxFails: 2, failTimeoutSeconds: 5 })
      .describe('nginx max_fails / fail_timeout.'),
  })
  .describe('nginx load balancing.');

export const AppSchema = z
  .strictObject({
    members: z.array(nodeRef),
    port: port.default(3000),
    readFromReplica: z.boolean().default(true).describe('Serve look-ups from a replica.'),
  })
  .describe('The sample reservation app (Node.js).');

const account = z.strictObject({ user: z.string().regex(/^[A-Za-z0-9_]{1,32}$/, 'a MySQL user name of letters, digits and _') });

export const DatabaseSchema = z
  .strictObject({
    engine: z.enum(DB_ENGINES).describe('mysql8 or mariadb.'),
    primary: nodeRef,
    replicas: z
      .array(z.union([nodeRef, z.strictObject({ node: nodeRef, engine: z.enum(DB_ENGINES).optional().describe('Engine of this replica; must equal the primary’s.') })]))
      .default([])
      .describe('Replicas of the primary: a hostname, or {node, engine}.'),
    schema: z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'a schema name of letters, digits and _').default('reservations'),
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
  .describe('MySQL 8 or MariaDB primary with replicas.');

export const MonitoringSchema = z
  .strictObject({
    prometheus: nodeRef.describe('Node running Prometheus.'),
    alertmanager: nodeRef.optional().describe('Node running Alertmanager. Default: the Prometheus node.'),
    loki: nodeRef.optional().describe('Node running Loki. Default: the Prometheus node.'),
    alertReceiver: z
      .strictObject({
        type: z.literal('slack'),
        channel: z.string().default('#lab-alerts'),
        webhookUrlFile: z.string().optional().describe('File on the monitoring VM holding the webhook URL (keeps it out of the blueprint).'),
      })
      .optional(),
  })
  .describe('Prometheus, Alertmanager and Loki.');

export const BackupSchema = z
  .strictObject({
    runOn: nodeRef.describe('Node that runs the backup script (usually a replica).'),
    schedule: z.string().default('*-*-* 04:00:00').describe('systemd OnCalendar expression.'),
    retentionDays: z.number().int().min(1).max(3650).default(7),
    targetDir: z.string().regex(/^\/[A-Za-z0-9._/-]*$/, 'an absolute path').default('/var/backups/halab'),
    copyTo: nodeRef.optional().describe('Node (e.g. an NFS server) that receives a copy of each dump.'),
  })
  .describe('Nightly database dumps with an integrity check.');

export const FirewallSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    adminSources: z.array(z.string()).optional().describe('CIDRs allowed to SSH in. Default: the host address of every network.'),
  })
  .describe('UFW on every VM.');

export const ServicesSchema = z.strictObject({
  vips: z.array(VipSchema).default([]),
  loadBalancer: LoadBalancerSchema.optional(),
  app: AppSchema.optional(),
  database: DatabaseSchema.optional(),
  monitoring: MonitoringSchema.optional(),
  backup: BackupSchema.optional(),
  firewall: FirewallSchema.default({ enabled: true }),
});

export const LayoutSchema = z
  .strictObject({
    positions: z.record(z.string(), z.strictObject({ x: z.number(), y: z.number() })).default({}),
  })
  .describe('Canvas positions for the editor; ignored by validation.');

export const DefaultsSchema = z.strictObject({
  template: z.string().default('ubuntu-22.04'),
  clone: z.enum(['linked', 'full']).default('linked'),
  vcpus: z.number().int().min(1).max(64).default(1),
  memoryMiB: z.number().int().min(256).max(262144).default(1024),
  diskGiB: z.number().int().min(4).max(4096).default(20),
});

export const LabSchema = z
  .strictObject({
    apiVersion: z.literal('halab/v1'),
    kind: z.literal('Lab'),
    metadata: z.strictObject({
      name: z.string().describe('Lab name (lowercase letters, digits, hyphens); used for VM folders and networks.'),
      title: z.string().optional(),
      description: z.string().optional(),
    }),
    defaults: DefaultsSchema.default({ template: 'ubuntu-22.04', clone: 'linked', vcpus: 1, memoryMiB: 1024, diskGiB: 20 }),
    networks: z.array(NetworkSchema),
    nodes: z.array(NodeSchema),
    services: ServicesSchema.default({ vips: [], firewall: { enabled: true } }),
    drills: z.array(z.enum(DRILLS)).default([]).describe('Failover drills that apply to this lab.'),
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
