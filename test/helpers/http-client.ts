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

  async request(method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH', url: string, payload?: unknown, extraHeaders: Record<string, string> = {}): Promise<Reply> {
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
