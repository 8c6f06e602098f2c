/**
 * The nginx load balancer (open-source nginx: passive health checks only).
 */
import { appPort, managedHeader, nodeOf, reach, type RenderContext } from './context';
import { assertIpv4, confString } from './quote';
import { lbProxyOf } from '../shared/blueprint/model';

/** An nginx time: whole seconds as `5s`, anything finer in milliseconds (`200ms`). */
export function nginxTime(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`Not a time: ${seconds}.`);
  return Number.isInteger(seconds) ? `${seconds}s` : `${Math.max(1, Math.round(seconds * 1000))}ms`;
}

/** Path of the rendered server block (Debian's nginx.conf includes conf.d/*.conf inside `http {}`). */
export const NGINX_CONF_PATH = '/etc/nginx/conf.d/halab-lb.conf';
/** The local health location the keepalived track script requests. */
export const NGINX_HEALTH_PATH = '/nginx-health';

/** The URL keepalived's track script checks on the load balancer itself. */
export function nginxHealthUrl(ctx: RenderContext): string {
  const port = ctx.lab.lab.services.loadBalancer?.listen[0] ?? 80;
  return `http://127.0.0.1:${port}${NGINX_HEALTH_PATH}`;
}

/**
 * The http-level server block for one load balancer.
 *
 * Retries: `proxy_next_upstream error timeout http_502 http_503 http_504`
 * without `non_idempotent`. A POST whose connection attempt failed (app
 * down, connection refused) is still passed to the next server, because
 * nothing was sent yet; a POST that reached an app and then timed out or got
 * a 5xx is NOT replayed, since it may already have created a reservation
 * (a replay would book twice). GETs are retried on all listed conditions.
 */
export function renderNginxConf(ctx: RenderContext, hostname: string): string {
  nodeOf(ctx, hostname);
  const lb = ctx.lab.lab.services.loadBalancer;
  if (!lb) throw new Error('The lab has no load balancer service.');
  const port = appPort(ctx);
  const ph = lb.passiveHealth;
  const px = lbProxyOf(lb);
  const nextUpstream = px.nextUpstream.length ? [...px.nextUpstream, ...(px.nonIdempotent ? ['non_idempotent'] : [])].join(' ') : 'off';
  const servers = lb.upstream.members.map((m) => `    server ${assertIpv4(reach(ctx, hostname, m))}:${port} max_fails=${ph.maxFails} fail_timeout=${ph.failTimeoutSeconds}s;  # ${m}`);
  const listens = lb.listen.map((p, i) => `    listen ${p}${i === 0 ? ' default_server' : ''};`);
  const name = confString(hostname, 'Host name');
  return `${managedHeader(ctx)}# Load balancer ${hostname}: ${lb.upstream.members.join(', ')} behind ${lb.listen.join(', ')}.

upstream halab_app {
${servers.join('\n')}
    keepalive 16;
}

log_format halab_upstream '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
                          '"$http_referer" "$http_user_agent" '
                          'upstream=$upstream_addr upstream_status=$upstream_status '
                          'served_by=$upstream_http_x_served_by request_time=$request_time '
                          'upstream_connect_time=$upstream_connect_time '
                          'upstream_header_time=$upstream_header_time '
                          'upstream_response_time=$upstream_response_time';

server {
${listens.join('\n')}
    server_name _;

    access_log /var/log/nginx/halab-access.log halab_upstream;
    error_log /var/log/nginx/halab-error.log warn;

    # Which app server answered (all tried ones, comma-separated, on a retry)
    # and which load balancer; "always" keeps them on 5xx answers too. The
    # app's own X-Served-By header is passed through unchanged.
    add_header X-Upstream $upstream_addr always;
    add_header X-Load-Balancer ${name} always;

    location = ${NGINX_HEALTH_PATH} {
        access_log off;
        default_type text/plain;
        return 200 "ok\\n";
    }

    location / {
        proxy_pass http://halab_app;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;

        # Short connect timeout: a dead app server is skipped within ${px.connectTimeoutSeconds === 1 ? 'a second' : nginxTime(px.connectTimeoutSeconds)}.
        proxy_connect_timeout ${nginxTime(px.connectTimeoutSeconds)};
        proxy_send_timeout ${nginxTime(px.sendTimeoutSeconds)};
        proxy_read_timeout ${nginxTime(px.readTimeoutSeconds)};
        proxy_next_upstream ${nextUpstream};
        proxy_next_upstream_tries ${px.tries};
        proxy_next_upstream_timeout ${nginxTime(px.nextUpstreamTimeoutSeconds)};
    }
}
`;
}
