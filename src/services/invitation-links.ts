import { randomUUID } from 'node:crypto';
import { randomToken } from '../crypto/opaque-tokens.ts';
import { invitationRepository } from '../data/repositories/invitation.repository.ts';
import type { Tx } from '../data/unit-of-work.ts';
import type { ServiceContext } from './context.ts';

export interface EnrolmentLink {
  url: string;
  expiresAt: Date;
}

/**
 * Issues a one-time, expiring enrolment link (there is never a default password). Earlier open links
 * of the user are revoked. The token sits in the URL fragment, which browsers never send to a server
 * nor put in a Referer header, so it cannot leak through logs.
 */
export async function issueEnrolmentLink(ctx: ServiceContext, tx: Tx, tenantId: string, userId: string, createdBy: string | null): Promise<EnrolmentLink> {
  const now = ctx.clock();
  await invitationRepository.revokeOpenForUser(tx, userId, now);
  const token = `${tenantId}.${randomToken()}`;
  const expiresAt = new Date(now.getTime() + ctx.settings.inviteTtl * 1000);
  await invitationRepository.create(tx, { id: randomUUID(), tenantId, userId, expiresAt, tokenHash: ctx.tokens.hash(token), createdBy });
  return { url: `${ctx.settings.publicUrl}/enrol#token=${token}`, expiresAt };
}
