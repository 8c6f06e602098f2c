/**
 * HAProxy as the load balancer (`services.loadBalancer.engine: haproxy`):
 * active health checks on the app servers, `option redispatch` with
 * `retries`, the same health URL keepalived's track script requests from
 * nginx (`monitor-uri`), and a stats page only the admin sources reach (an
 * ACL here, and UFW opens its port only to them). Pure.
 */
import { adminSources, appPort, managedHeader, nodeOf, reach, type RenderContext } from './context';
import { NGINX_HEALTH_PATH } from './nginx';
import { assertHostname, assertIpv4 } from './quote';
import { lbProxyOf } from '../shared/blueprint/model';
import type { LbEngine } from '../shared/blueprint/schema';

export const HAPROXY_CONF_PATH = '/etc/haproxy/haproxy.cfg';

/** The load balancer's engine (nginx unless the blueprint says haproxy). */
export function lbEngine(ctx: RenderContext): LbEngine {
  return ctx.lab.lab.services.loadBalancer?.engine ?? 'nginx';
}

/** The systemd unit of the load balancer engine. */
export function lbUnit(ctx: RenderContext): 'nginx.service' | 'haproxy.service' {
  return lbEngine(ctx) === 'haproxy' ? 'haproxy.service' : 'nginx.service';
}

/** An HAProxy time in ms (HAProxy's default unit). */
export function haproxyMs(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`Not a time: ${seconds}.`);
  return `${Math.max(1, Math.round(seconds * 1000))}`;
}

/** A path for `option httpchk` / `monitor-uri`: printable, no spaces. */
function httpPath(p: string): string {
  if (!/^\/[A-Za-z0-9._~/?&=%-]*$/.test(p)) throw new Error(`Health check path ${JSON.stringify(p)} must start with / and hold only letters, digits and . _ ~ / ? & = % -.`);
  return p;
}

/** A CIDR for an ACL (`a.b.c.d` or `a.b.c.d/n`). */
function cidr(c: string): string {
  const [ip, bits] = c.split('/');
  assertIpv4(ip ?? '', 'admin source');
  if (bits !== undefined && !/^(\d|[12]\d|3[0-2])$/.test(bits)) throw new Error(`Admin source ${JSON.stringify(c)} has a bad prefix length.`);
  return bits === undefined ? `${ip}/32` : c;
}

/**
 * haproxy.cfg for one load balancer. Timeouts map from `loadBalancer.proxy`:
 * connect ← connectTimeoutSeconds (also the health check's timeout), server
 * ← readTimeoutSeconds, client ← the longer of send and read. Retries: a
 * request whose connection to an app server failed is retried `retries`
 * times, the last one on another server (`option redispatch`); HAProxy's
 * default `retry-on conn-failure` never replays a request an app already
 * received, so a POST cannot book twice (as with nginx without
 * non_idempotent).
 */
export function renderHaproxyConf(ctx: RenderContext, hostname: string): string {
  nodeOf(ctx, hostname);
  const lb = ctx.lab.lab.services.loadBalancer;
  if (!lb) throw new Error('The lab has no load balancer service.');
  const h = lb.haproxy;
  const px = lbProxyOf(lb);
  const port = appPort(ctx);
  const servers = lb.upstream.members.map((m) => `    server ${assertHostname(m)} ${assertIpv4(reach(ctx, hostname, m))}:${port} check`);
  const binds = lb.listen.map((p) => `    bind *:${p}`);
  const admins = adminSources(ctx).map(cidr);
  return `${managedHeader(ctx)}# Load balancer ${hostname} (HAProxy): ${lb.upstream.members.join(', ')} behind ${lb.listen.join(', ')}.

global
    log /dev/log local0 warning
    chroot /var/lib/haproxy
    user haproxy
    group haproxy
    maxconn 4096

defaults
    mode http
    log global
    option httplog
    option dontlognull
    option redispatch
    retries ${h.retries}
    timeout connect ${haproxyMs(px.connectTimeoutSeconds)}
    timeout client ${haproxyMs(Math.max(px.sendTimeoutSeconds, px.readTimeoutSeconds))}
    timeout server ${haproxyMs(px.readTimeoutSeconds)}
    timeout check ${haproxyMs(px.connectTimeoutSeconds)}
    timeout http-request 10s
    timeout queue ${haproxyMs(px.connectTimeoutSeconds)}

frontend halab_http
${binds.join('\n')}
    # keepalived's track script requests this, as it does from nginx.
    monitor-uri ${NGINX_HEALTH_PATH}
    # Which app server answered and which load balancer, like nginx's headers.
    http-response set-header X-Upstream %si:%sp
    http-response set-header X-Load-Balancer ${assertHostname(hostname)}
    default_backend halab_app

backend halab_app
    balance roundrobin
    # Active checks: an app server that fails ${h.fall} checks in a row (every ${h.checkIntervalMs} ms) is taken out, ${h.rise} passed ones bring it back.
    option httpchk GET ${httpPath(h.checkPath)}
    default-server inter ${h.checkIntervalMs} fall ${h.fall} rise ${h.rise}
${servers.join('\n')}

# The stats page: only the admin sources (${admins.join(', ')}); UFW opens port ${h.statsPort} to them alone.
listen halab_stats
    bind *:${h.statsPort}
    acl halab_admin src ${admins.join(' ')}
    http-request deny unless halab_admin
    stats enable
    stats uri /
    stats refresh 5s
`;
}
