import {
  generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
  type AuthenticationResponseJSON, type AuthenticatorTransport as AuthenticatorTransportFuture, type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON, type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { ClarusError } from '../domain/error-catalog.ts';
import { secondFactorRepository, type PasskeyRecord } from '../data/repositories/second-factor.repository.ts';
import { sessionRepository } from '../data/repositories/session.repository.ts';
import { userRepository } from '../data/repositories/user.repository.ts';
import type { Principal, RequestOrigin, ServiceContext } from './context.ts';
import type { IssuedTokens, SessionService } from './session.service.ts';

/** A WebAuthn challenge is good for two minutes (W3C WebAuthn Level 3 §13.4.3 recommends short timeouts). */
const CHALLENGE_SECONDS = 120;

/**
 * WebAuthn passkeys as a second factor (AUTH-2). The challenge is kept on the server-side session,
 * so it binds the ceremony to the one signed-in browser that asked for it.
 */
export class PasskeyService {
  private readonly rpId: string;
  private readonly origin: string;

  constructor(private readonly ctx: ServiceContext, private readonly sessions: SessionService) {
    const url = new URL(ctx.settings.publicUrl);
    this.rpId = url.hostname;
    this.origin = url.origin;
  }

  private async storeChallenge(principal: Principal, challenge: string): Promise<void> {
    const expires = new Date(this.ctx.clock().getTime() + CHALLENGE_SECONDS * 1000);
    await this.ctx.uow.run(principal.tenantId, (tx) => sessionRepository.setChallenge(tx, principal.sessionId, challenge, expires));
  }

  async registrationOptions(principal: Principal): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const { user, passkeys } = await this.ctx.uow.read(principal.tenantId, async (tx) => ({
      user: await userRepository.findById(tx, principal.userId),
      passkeys: await secondFactorRepository.listPasskeys(tx, principal.userId),
    }));
    if (!user) throw new ClarusError('CLARUS_ERR_SESSION_EXPIRED');
    const options = await generateRegistrationOptions({
      rpName: 'Clarus',
      rpID: this.rpId,
      userName: user.email,
      userID: new TextEncoder().encode(user.id),
      attestationType: 'none',
      excludeCredentials: passkeys.map((p) => ({ id: p.credentialId, transports: p.transports as AuthenticatorTransportFuture[] })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      timeout: CHALLENGE_SECONDS * 1000,
    });
    await this.storeChallenge(principal, options.challenge);
    return options;
  }

  async register(principal: Principal, response: RegistrationResponseJSON, name: string): Promise<string> {
    return this.ctx.uow.run(principal.tenantId, async (tx) => {
      const challenge = await this.takeChallenge(tx, principal);
      const verification = await verifyRegistrationResponse({
        response, expectedChallenge: challenge, expectedOrigin: this.origin, expectedRPID: this.rpId, requireUserVerification: true,
      }).catch(() => undefined);
      if (!verification?.verified) throw new ClarusError('CLARUS_ERR_MFA_FAILED');
      const { credential } = verification.registrationInfo;
      return secondFactorRepository.addPasskey(tx, {
        tenantId: principal.tenantId, userId: principal.userId, credentialId: credential.id,
        publicKey: Buffer.from(credential.publicKey), counter: credential.counter, transports: credential.transports ?? [], name,
      });
    });
  }

  async authenticationOptions(principal: Principal): Promise<PublicKeyCredentialRequestOptionsJSON> {
    if (principal.stage !== 'mfa') throw new ClarusError('CLARUS_ERR_MFA_STAGE');
    const passkeys = await this.ctx.uow.read(principal.tenantId, (tx) => secondFactorRepository.listPasskeys(tx, principal.userId));
    const options = await generateAuthenticationOptions({
      rpID: this.rpId,
      allowCredentials: passkeys.map((p) => ({ id: p.credentialId, transports: p.transports as AuthenticatorTransportFuture[] })),
      userVerification: 'required',
      timeout: CHALLENGE_SECONDS * 1000,
    });
    await this.storeChallenge(principal, options.challenge);
    return options;
  }

  async completeSignIn(principal: Principal, response: AuthenticationResponseJSON, origin: RequestOrigin): Promise<IssuedTokens> {
    if (principal.stage !== 'mfa') throw new ClarusError('CLARUS_ERR_MFA_STAGE');
    const tokens = await this.ctx.uow.run(principal.tenantId, async (tx) => {
      const challenge = await this.takeChallenge(tx, principal);
      const passkey = (await secondFactorRepository.listPasskeys(tx, principal.userId)).find((p) => p.credentialId === response.id);
      if (!passkey) return undefined;
      const verification = await verifyAuthenticationResponse({
        response, expectedChallenge: challenge, expectedOrigin: this.origin, expectedRPID: this.rpId,
        credential: { id: passkey.credentialId, publicKey: new Uint8Array(passkey.publicKey), counter: passkey.counter, transports: passkey.transports },
        requireUserVerification: true,
      }).catch(() => undefined);
      if (!verification?.verified) return undefined;
      await secondFactorRepository.updatePasskeyCounter(tx, passkey.id, verification.authenticationInfo.newCounter);
      return this.sessions.promote(tx, principal);
    });
    await this.ctx.audit.recordFor(principal, origin, { action: 'auth.second-factor', outcome: tokens ? 'success' : 'failure', details: { method: 'webauthn' } });
    if (!tokens) {
      await this.ctx.securityEvents.record({ kind: 'auth.mfa-failed', tenantId: principal.tenantId, subjectId: principal.userId, details: { method: 'webauthn' }, ...origin });
      throw new ClarusError('CLARUS_ERR_MFA_FAILED');
    }
    return tokens;
  }

  /** Reads and clears the session's challenge: each challenge serves one ceremony. */
  private async takeChallenge(tx: Parameters<typeof sessionRepository.findById>[0], principal: Principal): Promise<string> {
    const session = await sessionRepository.findById(tx, principal.sessionId);
    await sessionRepository.setChallenge(tx, principal.sessionId, null, null);
    if (!session?.webauthnChallenge || !session.webauthnChallengeExpiresAt || session.webauthnChallengeExpiresAt <= this.ctx.clock()) {
      throw new ClarusError('CLARUS_ERR_MFA_FAILED');
    }
    return session.webauthnChallenge;
  }

  list(principal: Principal): Promise<PasskeyRecord[]> {
    return this.ctx.uow.read(principal.tenantId, (tx) => secondFactorRepository.listPasskeys(tx, principal.userId));
  }

  async remove(principal: Principal, id: string): Promise<void> {
    const removed = await this.ctx.uow.run(principal.tenantId, (tx) => secondFactorRepository.deletePasskey(tx, principal.userId, id));
    if (!removed) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
  }
}
