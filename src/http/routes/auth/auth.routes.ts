import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import type { Services } from '../../../compose.ts';
import { ClarusError } from '../../../domain/error-catalog.ts';
import { originOf, principalOf } from '../../route-access.ts';
import { REFRESH_COOKIE, clearSessionCookies, setSessionCookies } from '../../session-cookies.ts';
import * as s from './auth.schema.ts';

const pending = { permission: 'session.self', stages: ['mfa'] } as const;
const enrolling = { permission: 'session.self', stages: ['enrol-totp'] } as const;
const anyStage = { permission: 'session.self', stages: ['full', 'mfa', 'enrol-totp'] } as const;
const signedIn = { permission: 'session.self' } as const;

/** Sign-in, second factors, sessions and the person's own account (AUTH-1..7). */
export function registerAuthRoutes(root: FastifyInstance, services: Services, absoluteTimeout: number): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['auth'];

  app.get('/api/auth/csrf', { config: { access: { public: true } }, schema: { tags, response: { 200: s.csrfReply } } },
    async (_request, reply) => ({ csrfToken: reply.generateCsrf() }));

  app.post('/api/auth/login', {
    config: { access: { public: true }, rateLimit: { max: 30, timeWindow: '1 minute' } },
    schema: { tags, body: s.loginBody, response: { 200: s.signInStepReply } },
  }, async (request, reply) => {
    const step = await services.signIn.signIn(request.body.email, request.body.password, originOf(request));
    setSessionCookies(reply, step.tokens, absoluteTimeout);
    return { next: step.next, methods: step.methods };
  });

  app.post('/api/auth/enrolment/inspect', {
    config: { access: { public: true }, rateLimit: { max: 30, timeWindow: '1 minute' } },
    schema: { tags, body: s.enrolmentTokenBody, response: { 200: s.enrolmentInfoReply } },
  }, async (request) => services.signIn.inspectEnrolment(request.body.token));

  app.post('/api/auth/enrolment', {
    config: { access: { public: true }, rateLimit: { max: 30, timeWindow: '1 minute' } },
    schema: { tags, body: s.enrolmentBody, response: { 200: s.signInStepReply } },
  }, async (request, reply) => {
    const step = await services.signIn.completeEnrolment(request.body.token, request.body.password, originOf(request));
    setSessionCookies(reply, step.tokens, absoluteTimeout);
    return { next: step.next, methods: step.methods };
  });

  app.post('/api/auth/totp/setup', { config: { access: enrolling }, schema: { tags, response: { 200: s.totpSetupReply } } },
    async (request) => services.secondFactor.beginTotpEnrolment(principalOf(request)));

  app.post('/api/auth/totp/confirm', { config: { access: enrolling }, schema: { tags, body: s.codeBody, response: { 200: s.recoveryCodesReply } } },
    async (request, reply) => {
      const result = await services.secondFactor.confirmTotpEnrolment(principalOf(request), request.body.code, originOf(request));
      setSessionCookies(reply, result.tokens, absoluteTimeout);
      return { recoveryCodes: result.recoveryCodes };
    });

  for (const method of ['totp', 'recovery'] as const) {
    app.post(`/api/auth/mfa/${method}`, { config: { access: pending }, schema: { tags, body: s.codeBody, response: { 200: s.okReply } } },
      async (request, reply) => {
        const tokens = await services.secondFactor.completeSignIn(principalOf(request), request.body.code, method, originOf(request));
        setSessionCookies(reply, tokens, absoluteTimeout);
        return { ok: true as const };
      });
  }

  app.post('/api/auth/mfa/webauthn/options', { config: { access: pending }, schema: { tags } },
    async (request) => services.passkeys.authenticationOptions(principalOf(request)));

  app.post('/api/auth/mfa/webauthn/verify', { config: { access: pending }, schema: { tags, body: s.webauthnResponseBody, response: { 200: s.okReply } } },
    async (request, reply) => {
      const tokens = await services.passkeys.completeSignIn(principalOf(request), request.body.response as unknown as AuthenticationResponseJSON, originOf(request));
      setSessionCookies(reply, tokens, absoluteTimeout);
      return { ok: true as const };
    });

  app.get('/api/auth/me', { config: { access: anyStage }, schema: { tags, response: { 200: s.meReply } } },
    async (request) => services.account.me(principalOf(request)));

  app.post('/api/auth/refresh', { config: { access: { public: true } }, schema: { tags, response: { 200: s.okReply } } },
    async (request, reply) => {
      const token = request.cookies[REFRESH_COOKIE];
      if (!token) throw new ClarusError('CLARUS_ERR_UNAUTHENTICATED');
      try {
        setSessionCookies(reply, await services.sessions.refresh(token, originOf(request)), absoluteTimeout);
      } catch (error) {
        clearSessionCookies(reply);
        throw error;
      }
      return { ok: true as const };
    });

  app.post('/api/auth/logout', { config: { access: anyStage }, schema: { tags } }, async (request, reply) => {
    await services.sessions.signOut(principalOf(request), originOf(request));
    clearSessionCookies(reply);
    return reply.code(204).send();
  });

  app.post('/api/auth/logout-all', { config: { access: signedIn }, schema: { tags } }, async (request, reply) => {
    await services.sessions.signOutEverywhere(principalOf(request), originOf(request));
    clearSessionCookies(reply);
    return reply.code(204).send();
  });

  app.post('/api/auth/step-up', { config: { access: signedIn }, schema: { tags, body: s.codeBody, response: { 200: s.stepUpReply } } },
    async (request) => ({ stepUpValidUntil: await services.secondFactor.stepUp(principalOf(request), request.body.code, originOf(request)) }));

  app.post('/api/auth/password', { config: { access: signedIn }, schema: { tags, body: s.changePasswordBody } }, async (request, reply) => {
    await services.account.changePassword(principalOf(request), request.body.currentPassword, request.body.newPassword, originOf(request));
    return reply.code(204).send();
  });

  app.post('/api/auth/recovery-codes', { config: { access: { ...signedIn, stepUp: true } }, schema: { tags, response: { 200: s.recoveryCodesReply } } },
    async (request) => ({ recoveryCodes: await services.secondFactor.regenerateRecoveryCodes(principalOf(request)) }));

  app.get('/api/auth/passkeys', { config: { access: signedIn }, schema: { tags, response: { 200: s.passkeysReply } } },
    async (request) => ({ passkeys: await services.passkeys.list(principalOf(request)) }));

  // A new lasting factor is as sensitive as removing one: both need a fresh second factor (AUTH-7).
  app.post('/api/auth/passkeys/options', { config: { access: { ...signedIn, stepUp: true } }, schema: { tags } },
    async (request) => services.passkeys.registrationOptions(principalOf(request)));

  app.post('/api/auth/passkeys', { config: { access: { ...signedIn, stepUp: true } }, schema: { tags, body: s.passkeyBody, response: { 200: z.object({ id: z.string() }) } } },
    async (request) => ({ id: await services.passkeys.register(principalOf(request), request.body.response as unknown as RegistrationResponseJSON, request.body.name) }));

  app.delete('/api/auth/passkeys/:id', { config: { access: { ...signedIn, stepUp: true } }, schema: { tags, params: s.idParams } }, async (request, reply) => {
    await services.passkeys.remove(principalOf(request), request.params.id);
    return reply.code(204).send();
  });
}
