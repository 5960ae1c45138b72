import { z } from 'zod';

/** Request and response schemas of the sign-in API (docs/api-auth.md); unknown fields are refused. */
export const email = z.email().max(254);
const password = z.string().min(1).max(1024);
const code = z.string().min(6).max(32);

export const loginBody = z.strictObject({ email, password });
export const enrolmentTokenBody = z.strictObject({ token: z.string().min(20).max(200) });
export const enrolmentBody = z.strictObject({ token: z.string().min(20).max(200), password });
export const codeBody = z.strictObject({ code });
export const changePasswordBody = z.strictObject({ currentPassword: password, newPassword: password });
export const webauthnResponseBody = z.strictObject({ response: z.record(z.string(), z.unknown()) });
export const passkeyBody = z.strictObject({ response: z.record(z.string(), z.unknown()), name: z.string().trim().min(1).max(100) });
export const idParams = z.strictObject({ id: z.uuid() });

export const signInStepReply = z.object({
  next: z.enum(['mfa', 'enrol-totp']),
  methods: z.array(z.enum(['totp', 'recovery', 'webauthn'])),
});
export const okReply = z.object({ ok: z.literal(true) });
export const csrfReply = z.object({ csrfToken: z.string() });
export const enrolmentInfoReply = z.object({ email: z.string(), tenantName: z.string(), expiresAt: z.date() });
export const totpSetupReply = z.object({ secret: z.string(), otpauthUri: z.string() });
export const recoveryCodesReply = z.object({ recoveryCodes: z.array(z.string()) });
export const stepUpReply = z.object({ stepUpValidUntil: z.date() });
export const passkeysReply = z.object({ passkeys: z.array(z.object({ id: z.string(), name: z.string(), createdAt: z.date() })) });
export const meReply = z.object({
  stage: z.enum(['full', 'mfa', 'enrol-totp']),
  user: z.object({
    id: z.string(), email: z.string(), displayName: z.string().nullable(), roles: z.array(z.string()),
    tenant: z.object({ id: z.string(), slug: z.string(), name: z.string() }),
  }),
  session: z.object({ idleTimeoutSeconds: z.number(), absoluteExpiresAt: z.date(), stepUpValidUntil: z.date().nullable() }),
  mfa: z.object({ totp: z.boolean(), passkeys: z.number(), recoveryCodesRemaining: z.number() }),
});
