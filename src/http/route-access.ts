import type { Permission } from '../domain/roles.ts';
import type { Principal } from '../services/context.ts';

/**
 * What every route must declare (DESIGN.md "Where security lives" 1): either `public`, or a
 * permission (with `stepUp` where a fresh second factor is needed). `stages` lets the few routes that
 * finish a sign-in accept a session that has not yet passed its second factor.
 */
export type RouteAccess =
  | { public: true }
  | { permission: Permission; stepUp?: boolean; stages?: readonly Principal['stage'][] };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** The principal of an authenticated route; the guard guarantees it is there. */
export function principalOf(request: { principal?: Principal }): Principal {
  if (!request.principal) throw new Error('route guard did not authenticate this request');
  return request.principal;
}

/** Where a request came from, for security events. */
export function originOf(request: { ip: string; id: string }): { sourceAddress: string; requestId: string } {
  return { sourceAddress: request.ip, requestId: request.id };
}
