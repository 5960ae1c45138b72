import type { FastifyReply } from 'fastify';
import type { IssuedTokens } from '../services/session.service.ts';

/**
 * AUTH-3: tokens live only in `__Host-` cookies: HttpOnly (no script can read them), Secure,
 * SameSite=Strict, Path=/ and no Domain (the prefix makes the browser enforce the last two).
 */
export const ACCESS_COOKIE = '__Host-clarus_at';
export const REFRESH_COOKIE = '__Host-clarus_rt';
export const CSRF_COOKIE = '__Host-clarus_csrf';

const attributes = { httpOnly: true, secure: true, sameSite: 'strict', path: '/' } as const;

export function setSessionCookies(reply: FastifyReply, tokens: IssuedTokens, absoluteTimeoutSeconds: number): void {
  reply.setCookie(ACCESS_COOKIE, tokens.accessToken, { ...attributes, maxAge: absoluteTimeoutSeconds });
  if (tokens.refreshToken) reply.setCookie(REFRESH_COOKIE, tokens.refreshToken, { ...attributes, maxAge: absoluteTimeoutSeconds });
}

export function clearSessionCookies(reply: FastifyReply): void {
  reply.clearCookie(ACCESS_COOKIE, attributes);
  reply.clearCookie(REFRESH_COOKIE, attributes);
}
