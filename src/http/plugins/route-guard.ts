import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ClarusError } from '../../domain/error-catalog.ts';
import { permissionsOf, isRole, servicePermissionsOf, type Permission } from '../../domain/roles.ts';
import type { Principal } from '../../services/context.ts';
import type { ServiceAccountService } from '../../services/service-account.service.ts';
import type { SessionService } from '../../services/session.service.ts';
import type { RouteAccess } from '../route-access.ts';
import { ACCESS_COOKIE } from '../session-cookies.ts';

/** Thrown at start-up: a route that declares neither `public` nor a permission is a hole. */
export class UndeclaredRouteError extends Error {
  constructor(method: string, url: string) {
    super(`route ${method} ${url} declares neither public nor a permission`);
  }
}

/** One registered route and what it declares; tests walk this list (the authorization matrix). */
export interface RouteInfo {
  method: string;
  url: string;
  access: RouteAccess;
}

declare module 'fastify' {
  interface FastifyInstance {
    routeCatalog: RouteInfo[];
  }
}

function accessOf(request: FastifyRequest): RouteAccess | undefined {
  return request.routeOptions.config.access;
}

/**
 * DESIGN.md "Where security lives" 1-2: a root onRoute check refuses undeclared routes; a root
 * onRequest hook authenticates and checks stage, permission and step-up (earlier than the design's
 * preHandler: see docs/adr/0002-authorize-before-parsing.md). Being root hooks, no nested plugin's
 * routes can escape them. Deny by default.
 */
/** What a principal may do: a person's roles, or a service account's role without session rights. */
function grantedTo(principal: Principal): Set<Permission> {
  const roles = principal.roles.filter(isRole);
  return principal.kind === 'service' && roles[0] ? servicePermissionsOf(roles[0]) : permissionsOf(roles);
}

/** The API key header (ROLE-4); a request carrying one is authenticated by it alone, never by cookies. */
export const API_KEY_HEADER = 'x-api-key';

export function registerRouteGuard(app: FastifyInstance, sessions: SessionService, serviceAccounts: ServiceAccountService): void {
  const catalog: RouteInfo[] = [];
  app.decorate('routeCatalog', catalog);
  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    const declared = access !== undefined && ('public' in access ? access.public === true : typeof access.permission === 'string');
    if (!declared) throw new UndeclaredRouteError(String(route.method), route.url);
    for (const method of [route.method].flat()) catalog.push({ method: String(method), url: route.url, access });
  });

  // Authentication and authorization both run before the body is even read: a caller without the
  // right learns nothing from validation errors and cannot make the server parse large bodies.
  app.addHook('onRequest', async (request) => {
    const access = accessOf(request);
    // No matched route: the 404 handler answers, which serves no data.
    if (request.routeOptions.url === undefined || access === undefined || 'public' in access) return;
    const apiKey = request.headers[API_KEY_HEADER];
    const token = request.cookies[ACCESS_COOKIE];
    let principal: Principal;
    if (typeof apiKey === 'string') principal = await serviceAccounts.authenticate(apiKey, { sourceAddress: request.ip, requestId: request.id });
    else if (token) principal = await sessions.authenticate(token);
    else throw new ClarusError('CLARUS_ERR_UNAUTHENTICATED');
    request.principal = principal;
    const stages = access.stages ?? ['full'];
    if (!stages.includes(principal.stage)) throw new ClarusError('CLARUS_ERR_MFA_STAGE');
    if (!grantedTo(principal).has(access.permission)) throw new ClarusError('CLARUS_ERR_FORBIDDEN');
    if (access.stepUp && !sessions.hasFreshStepUp(principal)) throw new ClarusError('CLARUS_ERR_STEP_UP_REQUIRED');
  });
}
