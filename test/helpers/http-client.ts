import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

export interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers: LightMyRequestResponse['headers'];
  raw: LightMyRequestResponse;
}

/**
 * A browser-like client over `app.inject()`: it keeps cookies (honouring Max-Age=0 removals) and
 * sends the CSRF token on state-changing requests, as the web app does.
 */
export class TestClient {
  readonly cookies = new Map<string, string>();
  private csrfToken: string | undefined;
  /** Refresh an expired access token and retry, as the web app does; tests of expiry turn it off. */
  autoRefresh = true;

  constructor(private readonly app: FastifyInstance, private readonly remoteAddress = '127.0.0.1') {}

  private absorb(response: LightMyRequestResponse): void {
    for (const cookie of response.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const expired = cookie.maxAge === 0 || (cookie.expires !== undefined && cookie.expires.getTime() <= Date.now());
      if (expired || cookie.value === '') this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async csrf(): Promise<string> {
    const reply = await this.request('GET', '/api/auth/csrf');
    this.csrfToken = reply.body.csrfToken as string;
    return this.csrfToken;
  }

  /** Like the web app: an expired access token is refreshed once and the request retried. */
  async request(method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH', url: string, payload?: unknown, extraHeaders: Record<string, string> = {}): Promise<Reply> {
    const reply = await this.send(method, url, payload, extraHeaders);
    if (!this.autoRefresh || reply.body.code !== 'CLARUS_ERR_TOKEN_EXPIRED' || url === '/api/auth/refresh') return reply;
    const refreshed = await this.send('POST', '/api/auth/refresh', {}, {});
    return refreshed.status === 200 ? this.send(method, url, payload, extraHeaders) : refreshed;
  }

  private async send(method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH', url: string, payload: unknown, extraHeaders: Record<string, string>): Promise<Reply> {
    if (method !== 'GET' && this.csrfToken === undefined && !('x-csrf-token' in extraHeaders)) await this.csrf();
    const headers: Record<string, string> = { cookie: this.cookieHeader(), ...extraHeaders };
    if (method !== 'GET' && this.csrfToken && !('x-csrf-token' in extraHeaders)) headers['x-csrf-token'] = this.csrfToken;
    const raw = await this.app.inject({
      method, url, headers, remoteAddress: this.remoteAddress,
      ...(payload === undefined ? {} : typeof payload === 'string' ? { payload } : { payload: payload as object }),
    });
    this.absorb(raw);
    let body: Record<string, unknown> = {};
    if (raw.body && (raw.headers['content-type'] ?? '').toString().includes('json')) body = JSON.parse(raw.body) as Record<string, unknown>;
    return { status: raw.statusCode, body, headers: raw.headers, raw };
  }

  get(url: string): Promise<Reply> {
    return this.request('GET', url);
  }

  post(url: string, payload?: unknown): Promise<Reply> {
    return this.request('POST', url, payload ?? {});
  }
}
