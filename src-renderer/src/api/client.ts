/**
 * The one API client of the renderer, transport-agnostic. Inside Electron it
 * uses `window.halab` (the preload's frozen HalabBridge). In a browser (web
 * mode) it speaks HTTP + WebSocket to `halab serve` (security model:
 * `src-main/server/web-server.ts`):
 * - the bearer token comes from `<meta name="halab-token">`, which the server
 *   writes into index.html for requests that proved the token (the `?token=`
 *   of the printed URL on first load, then an HttpOnly cookie). A `?token=`
 *   left in the address bar is taken out of it;
 * - requests are `POST /api/invoke/<channel>` with `Authorization: Bearer`
 *   and `Content-Type: application/json` (the API accepts nothing else);
 * - events arrive as `{channel, payload}` messages on `/api/events`.
 */
import type { EventChannel, EventPayloads, HalabBridge, IpcResult, RequestChannel, RequestPayload, RequestResults } from '../../../src-main/shared/ipc/contract';
import { render, type Lang } from '../../../src-main/shared/i18n';
import { isMessage } from '../../../src-main/shared/i18n/message-error';

declare global {
  interface Window {
    halab?: HalabBridge;
  }
}

const TOKEN_KEY = 'halab.token';

/**
 * The bearer token for this page: the `<meta name="halab-token">` the server
 * injected, else `?token=` in the URL (kept for this tab), else the copy kept
 * earlier in this tab. `?token=` is always removed from the address bar.
 */
export function captureToken(loc: Location = window.location, storage: Storage = window.sessionStorage, doc: Document = window.document): string | undefined {
  const url = new URL(loc.href);
  const fromUrl = url.searchParams.get('token') ?? undefined;
  if (fromUrl !== undefined) {
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
  }
  const fromMeta = doc.querySelector('meta[name="halab-token"]')?.getAttribute('content') ?? undefined;
  const token = fromMeta || fromUrl || storage.getItem(TOKEN_KEY) || undefined;
  if (token) storage.setItem(TOKEN_KEY, token);
  return token;
}

type Listener = (payload: unknown) => void;

/** HalabBridge over HTTP + WebSocket, for web mode. */
export function createWebBridge(token: string | undefined, base = window.location): HalabBridge {
  const listeners = new Map<string, Set<Listener>>();
  let socket: WebSocket | undefined;
  let retry = 0;
  const connect = () => {
    const proto = base.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${base.host}/api/events?token=${encodeURIComponent(token ?? '')}`);
    socket = ws;
    ws.onopen = () => {
      retry = 0;
    };
    ws.onmessage = (ev) => {
      let msg: { channel?: string; payload?: unknown };
      try {
        msg = JSON.parse(String(ev.data)) as typeof msg;
      } catch {
        return;
      }
      if (typeof msg.channel === 'string') for (const l of listeners.get(msg.channel) ?? []) l(msg.payload);
    };
    ws.onclose = () => {
      socket = undefined;
      // Reconnect with backoff while anyone listens; a backend restart should not need a reload.
      if ([...listeners.values()].some((s) => s.size > 0)) setTimeout(connect, Math.min(10_000, 500 * 2 ** retry++));
    };
  };
  return {
    async invoke<C extends RequestChannel>(channel: C, payload: RequestPayload<C>): Promise<IpcResult<RequestResults[C]>> {
      try {
        const res = await fetch(`/api/invoke/${channel}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify(payload ?? {}),
          credentials: 'same-origin',
        });
        const body = (await res.json().catch(() => undefined)) as IpcResult<RequestResults[C]> | undefined;
        if (body && typeof body === 'object' && 'ok' in body) return body;
        return { ok: false, error: { name: 'HttpError', code: res.status === 401 ? 'unauthorized' : 'bad-response', message: res.status === 401 ? 'The session token was refused; open the link printed by "halab serve" again.' : `The backend answered HTTP ${res.status} without a result.` } };
      } catch (e) {
        return { ok: false, error: { name: 'NetworkError', code: 'network', message: `Cannot reach the backend (${(e as Error).message}). Is "halab serve" still running?` } };
      }
    },
    on<E extends EventChannel>(channel: E, listener: (payload: EventPayloads[E]) => void): () => void {
      const set = listeners.get(channel) ?? new Set<Listener>();
      listeners.set(channel, set);
      set.add(listener as Listener);
      if (!socket) connect();
      return () => {
        set.delete(listener as Listener);
      };
    },
  };
}

let bridge: HalabBridge | undefined;

/** The bridge for this page: Electron's preload when present, else web mode. */
export function api(): HalabBridge {
  if (!bridge) bridge = window.halab ?? createWebBridge(captureToken());
  return bridge;
}

/** 'desktop' when running inside Electron. */
export function transportMode(): 'desktop' | 'web' {
  return window.halab ? 'desktop' : 'web';
}

/** The UI's language, as App sets it on the page (`<html lang>`). */
function pageLang(): Lang {
  return globalThis.document?.documentElement?.lang === 'ko' ? 'ko' : 'en';
}

/**
 * Invoke and unwrap: resolves with the data or rejects with an Error carrying
 * the backend's message and code. A refusal with a catalog message (`msg`)
 * is worded in the UI's language; `msg` rides along on the Error.
 */
export async function call<C extends RequestChannel>(channel: C, payload: RequestPayload<C>): Promise<RequestResults[C]> {
  const r = await api().invoke(channel, payload);
  if (r.ok) return r.data;
  const m = isMessage(r.error.msg) ? r.error.msg : undefined;
  throw Object.assign(new Error(m ? render(pageLang(), m) : r.error.message), { code: r.error.code, ...(m ? { msg: m } : {}) });
}
