import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Config } from './config/load-config.ts';
import type { Services } from './compose.ts';
import { deriveSubkey } from './crypto/subkeys.ts';
import { ClarusError } from './domain/error-catalog.ts';
import { loggerOptions } from './http/logger-options.ts';
import { registerErrorHandler } from './http/plugins/error-handler.ts';
import { API_KEY_HEADER, registerRouteGuard } from './http/plugins/route-guard.ts';
import { registerSecurityHeaders } from './http/plugins/security-headers.ts';
import { CSRF_COOKIE } from './http/session-cookies.ts';
import { registerAuthRoutes } from './http/routes/auth/auth.routes.ts';
import { registerSystemRoutes } from './http/routes/system/system.routes.ts';
import { registerUserRoutes } from './http/routes/users/users.routes.ts';
import { registerPatientRoutes } from './http/routes/patients/patients.routes.ts';
import { registerAdminRoutes } from './http/routes/admin/admin.routes.ts';
import { registerKeyRoutes } from './http/routes/admin/keys.routes.ts';
import { registerAuditRoutes } from './http/routes/audit/audit.routes.ts';
import { registerImageRoutes } from './http/routes/images/images.routes.ts';
import { registerViewerRoutes } from './http/routes/images/viewer.routes.ts';
import { registerResearchRoutes } from './http/routes/research/research.routes.ts';
import { registerReconciliationRoutes } from './http/routes/reconciliation/reconciliation.routes.ts';
import { registerUploadRoutes } from './http/routes/uploads/uploads.routes.ts';
import { registerDicomWebRoutes } from './http/dicomweb/dicomweb.routes.ts';
import { registerRequestAudit } from './http/plugins/request-audit.ts';
import { registerWebApp } from './http/web/web-app.ts';

export interface AppDependencies {
  config: Config;
  services: Services;
  /** A logger destination for tests (to assert that no PHI is logged); defaults to stdout. */
  logStream?: NodeJS.WritableStream;
  /** Extra routes registered inside the guarded app (tests use it to prove undeclared routes are refused). */
  extraRoutes?: (app: FastifyInstance) => void;
  webDistDir?: string;
}

const unsafeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Builds the HTTP application with its root plugins in a fixed order; tests call `app.inject()`. */
export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const { config, services } = deps;
  const logger = loggerOptions(config.logLevel);
  const options: FastifyServerOptions & { https?: object } = {
    logger: deps.logStream && logger && typeof logger === 'object' ? { ...logger, stream: deps.logStream } : logger,
    genReqId: () => randomUUID(),
    bodyLimit: config.http.bodyLimit,
    trustProxy: config.trustProxy,
    ...(config.http.tls ? { https: { ...config.http.tls, minVersion: 'TLSv1.3' } } : {}),
  };
  const app = Fastify(options) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Only JSON bodies are accepted; anything else is a 415 (the text/plain default parser is removed).
  app.removeContentTypeParser('text/plain');

  registerErrorHandler(app);
  registerSecurityHeaders(app);
  await app.register(fastifyCookie, { secret: deriveSubkey(config.secrets.secretKey, 'cookie-signing').toString('base64') });
  await app.register(fastifyRateLimit, {
    global: true,
    max: config.http.rateLimitPerMinute,
    timeWindow: '1 minute',
    // Counted after the route guard, so that only an authenticated service account gets its own budget
    // (ROLE-4); everything else, including made-up keys on public routes, is counted per address.
    // Requests refused by the guard never reach the limiter: wrong keys and passwords feed the lockout.
    hook: 'preHandler',
    keyGenerator: (request) => (request.principal?.kind === 'service' ? `service:${request.principal.userId}` : request.ip),
    errorResponseBuilder: () => Object.assign(new ClarusError('CLARUS_ERR_RATE_LIMITED'), { statusCode: 429 }),
  });
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: CSRF_COOKIE,
    cookieOpts: { path: '/', sameSite: 'strict', httpOnly: true, secure: true, signed: true },
    getToken: (request) => request.headers['x-csrf-token'] as string | undefined,
  });
  // AUTH-5: every state-changing request carries a CSRF token bound to a cookie (double submit, signed).
  // Requests authenticated by an API key carry no ambient credential (no cookie), so CSRF cannot apply;
  // a browser cannot add the header cross-site without a CORS preflight, which Clarus never grants.
  app.addHook('onRequest', (request, reply, done) => {
    const access = request.routeOptions.config.access;
    const keyAuthenticated = typeof request.headers[API_KEY_HEADER] === 'string' && access !== undefined && !('public' in access);
    if (!unsafeMethods.has(request.method) || keyAuthenticated) return done();
    app.csrfProtection(request, reply, done);
  });
  registerRouteGuard(app, services.sessions, services.serviceAccounts);
  registerRequestAudit(app, services.auditRecorder, services.probing);
  await app.register(fastifySwagger, {
    openapi: { info: { title: 'Clarus API', version: '0.1.0' } },
    transform: jsonSchemaTransform,
  });

  registerSystemRoutes(app, services);
  registerAuthRoutes(app, services, config.auth.absoluteTimeout);
  registerUserRoutes(app, services);
  registerPatientRoutes(app, services);
  registerAdminRoutes(app, services);
  registerKeyRoutes(app, services);
  registerAuditRoutes(app, services);
  registerImageRoutes(app, services);
  registerViewerRoutes(app, services);
  registerResearchRoutes(app, services);
  registerReconciliationRoutes(app, services);
  registerUploadRoutes(app, services);
  registerDicomWebRoutes(app, services, { publicUrl: config.publicUrl });
  deps.extraRoutes?.(app);
  await registerWebApp(app, deps.webDistDir ?? resolve(import.meta.dirname, '..', 'web', 'dist'));
  return app;
}
