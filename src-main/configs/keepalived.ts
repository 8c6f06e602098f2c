/**
 * keepalived: one vrrp_instance per VIP group the node belongs to, the nginx
 * track script, the notify script that logs every state change, and the
 * `lab_vip_present` gauge (script + systemd timer) for Prometheus.
 */
import { effectiveVips, managedHeader, nicOn, nodeOf, type RenderContext, type RenderedFile } from './context';
import { nginxHealthUrl } from './nginx';
import { lbEngine } from './haproxy';
import { assertIpv4, confString, safeId, shellQuote } from './quote';
import { allMembersStartBackup, preemptOf, trackScriptOf, vrrpVersion } from '../shared/blueprint/model';

export const KEEPALIVED_CONF_PATH = '/etc/keepalived/keepalived.conf';
export const KEEPALIVED_NOTIFY_PATH = '/usr/local/lib/halab/keepalived-notify.sh';
export const VIP_GAUGE_PATH = '/usr/local/lib/halab/vip-gauge.sh';
/** One line per state change: `<ISO-8601 UTC with ms> <instance> <STATE>`. */
export const KEEPALIVED_STATE_LOG = '/var/log/halab/keepalived-state.log';
/** node_exporter's textfile collector directory (Debian/Ubuntu default). */
export const TEXTFILE_DIR = '/var/lib/prometheus/node-exporter';
/**
 * keepalived track_file written by nginx's systemd hooks: 0 = nginx runs, 1 =
 * it stopped or crashed. Beside keepalived.conf, a folder that surely exists
 * when keepalived starts (init_file does not make folders); a stale 1 is
 * overwritten by `init_file 0 overwrite` at each keepalived start.
 */
export const NGINX_DOWN_FILE = '/etc/keepalived/halab-nginx-down';
/** The nginx drop-in with those hooks (VIP members whose group sets trackScript.onStop). */
export const NGINX_STOP_HOOK_PATH = '/etc/systemd/system/nginx.service.d/halab-vrrp.conf';
/** The same track_file and drop-in when the load balancer engine is HAProxy. */
export const HAPROXY_DOWN_FILE = '/etc/keepalived/halab-haproxy-down';
export const HAPROXY_STOP_HOOK_PATH = '/etc/systemd/system/haproxy.service.d/halab-vrrp.conf';

/** Whether a group tracks the load balancer (`track: nginx` or `haproxy`: the engine the blueprint runs). */
const tracksLb = (g: { track: string }) => g.track !== 'none';
/** The track_file and drop-in of the lab's engine. */
function stopHookPaths(ctx: RenderContext): { file: string; hook: string; unit: string } {
  return lbEngine(ctx) === 'haproxy' ? { file: HAPROXY_DOWN_FILE, hook: HAPROXY_STOP_HOOK_PATH, unit: 'haproxy' } : { file: NGINX_DOWN_FILE, hook: NGINX_STOP_HOOK_PATH, unit: 'nginx' };
}

/** Whether `hostname` tracks nginx stops through the track_file. */
function nginxStopHook(ctx: RenderContext, hostname: string): boolean {
  return vipGroupsOf(ctx, hostname).some((g) => tracksLb(g) && trackScriptOf(g).onStop);
}

/** The vrrp_instance name of a VIP group. */
export function vrrpInstanceName(vipName: string): string {
  return `VI_${safeId(vipName).toUpperCase()}`;
}

/** The vrrp_script a group tracks: the shared `chk_nginx`, or its own when it sets trackScript. */
export function trackScriptName(g: { name: string; trackScript?: unknown }, engine: 'nginx' | 'haproxy' = 'nginx'): string {
  return g.trackScript ? `chk_${engine}_${safeId(g.name).toLowerCase()}` : `chk_${engine}`;
}

/** The VIP groups `hostname` is a member of. */
export function vipGroupsOf(ctx: RenderContext, hostname: string) {
  return effectiveVips(ctx).filter((v) => v.members.some((m) => m.node === hostname));
}

/** keepalived.conf for one node; empty groups give a config with only global_defs. */
export function renderKeepalivedConf(ctx: RenderContext, hostname: string): string {
  nodeOf(ctx, hostname);
  const groups = vipGroupsOf(ctx, hostname);
  const out: string[] = [managedHeader(ctx).trimEnd(), ''];
  out.push('global_defs {', `    router_id ${confString(hostname, 'Host name')}`, '    enable_script_security', '    script_user root', '}', '');
  // One vrrp_script per distinct track setting: `chk_nginx` with the seed's
  // defaults, `chk_nginx_<group>` for a group with its own trackScript.
  const scripts = new Map<string, ReturnType<typeof trackScriptOf>>();
  for (const g of groups) if (tracksLb(g)) scripts.set(trackScriptName(g, lbEngine(ctx)), trackScriptOf(g));
  for (const [name, t] of scripts) {
    // No weight by default: after `fall` failures the instance goes to FAULT,
    // releases the VIP and sends a priority-0 advert, so the peer takes over
    // at once whatever the priority gap. A negative weight only moves the VIP
    // when it exceeds the gap, and never with nopreempt (validation checks
    // both). No per-script `user`: keepalived 2.2.7's `-t` kills itself
    // (SIGTERM) when it has to check a script as another user, so the config
    // could not be verified. curl's own limit stays within the timeout.
    out.push(
      `vrrp_script ${name} {`,
      `    script ${confString(`/usr/bin/curl -fsS -o /dev/null --max-time ${Math.min(1, t.timeout)} ${nginxHealthUrl(ctx)}`, 'Track script')}`,
      `    interval ${t.interval}`,
      `    timeout ${t.timeout}`,
      `    fall ${t.fall}`,
      `    rise ${t.rise}`,
      ...(t.weight !== 0 ? [`    weight ${t.weight}`] : []),
      '}',
      '',
    );
  }
  if (nginxStopHook(ctx, hostname)) {
    // `vrrp_track_file`, the older spelling every keepalived 2.x accepts (2.2.7's
    // man page: a deprecated synonym of `track_file`). weight 0: a non-zero
    // value in the file puts the instance in FAULT at once (inotify, no
    // polling), so the VIP leaves with a priority-0 advert.
    const hp = stopHookPaths(ctx);
    out.push(`vrrp_track_file ${hp.unit}_down {`, `    file ${confString(hp.file, 'Track file')}`, '    weight 0', '    init_file 0 overwrite', '}', '');
  }
  for (const g of groups) {
    const me = g.members.find((m) => m.node === hostname);
    if (!me) continue;
    const nic = nicOn(ctx, hostname, g.network);
    const net = ctx.lab.networks.find((n) => n.name === g.network);
    const top = Math.max(...g.members.map((m) => m.priority));
    const version = vrrpVersion(g);
    const preempt = preemptOf(g);
    out.push(`vrrp_instance ${vrrpInstanceName(g.name)} {`);
    // Initial state only; the election is by priority (with preemption).
    // nopreempt and preempt_delay only work when no member starts as MASTER
    // (keepalived.conf(5)), so then every member starts as BACKUP.
    out.push(`    state ${me.priority === top && !allMembersStartBackup(g) ? 'MASTER' : 'BACKUP'}`);
    out.push(`    interface ${nic.ifname}`, `    virtual_router_id ${g.virtualRouterId}`);
    // VRRPv3: centisecond adverts (0.01–40.95 s); v2 (the default) is left implicit.
    if (version === 3) out.push('    version 3');
    out.push(`    priority ${me.priority}`, `    advert_int ${g.advertInterval}`);
    if (!preempt.preempt) out.push('    nopreempt');
    else if (preempt.delaySeconds > 0) out.push(`    preempt_delay ${preempt.delaySeconds}`);
    if (g.effectiveMode === 'unicast') {
      out.push(`    unicast_src_ip ${assertIpv4(nic.address)}`, '    unicast_peer {');
      for (const peer of g.members.filter((m) => m.node !== hostname)) out.push(`        ${assertIpv4(nicOn(ctx, peer.node, g.network).address)}`);
      out.push('    }');
    }
    // VRRPv3 has no authentication (keepalived: "does not support authentication. Ignoring.").
    if (version === 2) out.push('    authentication {', '        auth_type PASS', `        auth_pass ${confString(ctx.secrets.vrrpAuthPass.slice(0, 8), 'VRRP password')}`, '    }');
    out.push('    virtual_ipaddress {', `        ${assertIpv4(g.address)}/${net?.prefix ?? 32} dev ${nic.ifname}`, '    }');
    if (tracksLb(g)) out.push('    track_script {', `        ${trackScriptName(g, lbEngine(ctx))}`, '    }');
    if (tracksLb(g) && trackScriptOf(g).onStop) out.push('    track_file {', `        ${stopHookPaths(ctx).unit}_down`, '    }');
    out.push(`    notify ${confString(KEEPALIVED_NOTIFY_PATH, 'Notify script')}`, '}', '');
  }
  return out.join('\n');
}

/** The notify script: keepalived appends TYPE NAME STATE PRIORITY to the `notify` command. */
export function renderKeepalivedNotify(ctx: RenderContext): string {
  return `#!/bin/bash
${managedHeader(ctx)}# keepalived notify: $1=INSTANCE|GROUP $2=name $3=MASTER|BACKUP|FAULT|STOP|DELETED $4=priority
set -u
name="\${2:-unknown}"
state="\${3:-UNKNOWN}"
log=${shellQuote(KEEPALIVED_STATE_LOG)}
mkdir -p "$(dirname "$log")"
printf '%s %s %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$name" "$state" >> "$log"
# Refresh the gauge now rather than at the next timer tick.
${shellQuote(VIP_GAUGE_PATH)} || true
exit 0
`;
}

/**
 * The gauge script: `lab_vip_present{vip,group} 1|0` from the addresses the
 * node really holds (not from keepalived's belief), written atomically for
 * node_exporter's textfile collector.
 */
export function renderVipGauge(ctx: RenderContext, hostname: string): string {
  const groups = vipGroupsOf(ctx, hostname);
  const checks = groups.map((g) => {
    const ip = assertIpv4(g.address);
    const nic = nicOn(ctx, hostname, g.network);
    return `emit ${shellQuote(ip)} ${shellQuote(safeId(g.name))} ${shellQuote(nic.ifname)}`;
  });
  return `#!/bin/bash
${managedHeader(ctx)}set -euo pipefail
dir=${shellQuote(TEXTFILE_DIR)}
mkdir -p "$dir"
tmp="$(mktemp "$dir/.vip.prom.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
echo '# HELP lab_vip_present 1 when this node holds the virtual IP.' >> "$tmp"
echo '# TYPE lab_vip_present gauge' >> "$tmp"
emit() {
  local present=0
  if ip -4 -o addr show dev "$3" 2>/dev/null | grep -qF " $1/"; then present=1; fi
  printf 'lab_vip_present{vip="%s",group="%s"} %s\\n' "$1" "$2" "$present" >> "$tmp"
}
${checks.join('\n')}
chmod 0644 "$tmp"
mv -f "$tmp" "$dir/vip.prom"
trap - EXIT
`;
}

/** Every keepalived-related file of a VIP member (none for other nodes). */
export function renderKeepalivedFiles(ctx: RenderContext, hostname: string): RenderedFile[] {
  if (!vipGroupsOf(ctx, hostname).length) return [];
  const unit = (body: string) => managedHeader(ctx) + body;
  const hp = stopHookPaths(ctx);
  const hook: RenderedFile[] = nginxStopHook(ctx, hostname)
    ? [
        {
          path: hp.hook,
          mode: '0644',
          // ExecStopPost also runs when the engine dies on its own (crash, kill).
          content: unit(
            `# keepalived's track_file ${hp.file}: 1 the moment ${hp.unit} stops or dies, 0 once it runs.\n[Service]\nExecStartPost=/bin/sh -c 'echo 0 > ${hp.file}'\nExecStopPost=/bin/sh -c 'echo 1 > ${hp.file}'\n`,
          ),
        },
      ]
    : [];
  return [
    ...hook,
    // 0600: it holds the VRRP auth_pass.
    { path: KEEPALIVED_CONF_PATH, mode: '0600', content: renderKeepalivedConf(ctx, hostname) },
    { path: KEEPALIVED_NOTIFY_PATH, mode: '0755', content: renderKeepalivedNotify(ctx) },
    { path: VIP_GAUGE_PATH, mode: '0755', content: renderVipGauge(ctx, hostname) },
    {
      path: '/etc/systemd/system/halab-vip-gauge.service',
      mode: '0644',
      content: unit(`[Unit]\nDescription=HA Lab: write the lab_vip_present gauge\n\n[Service]\nType=oneshot\nExecStart=${VIP_GAUGE_PATH}\n`),
    },
    {
      path: '/etc/systemd/system/halab-vip-gauge.timer',
      mode: '0644',
      content: unit(`[Unit]\nDescription=HA Lab: refresh the lab_vip_present gauge every 10 s\n\n[Timer]\nOnBootSec=5s\nOnUnitActiveSec=10s\nAccuracySec=1s\n\n[Install]\nWantedBy=timers.target\n`),
    },
  ];
}
