import { sql } from 'kysely';
import type { Tx } from '../unit-of-work.ts';

/**
 * Sign-in failures and lockouts (AUTH-6), keyed by opaque subjects (keyed hashes of an e-mail or an
 * address): no e-mail or address is stored in clear, and unknown e-mails lock exactly like known ones.
 */
export const loginThrottleRepository = {
  async lockedUntil(tx: Tx, subjects: string[], now: Date): Promise<Date | undefined> {
    const row = await tx.selectFrom('lockouts').select(sql<Date>`max(locked_until)`.as('until'))
      .where('subject', 'in', subjects).where('locked_until', '>', now).executeTakeFirst();
    return row?.until ?? undefined;
  },

  /** Records a failure and returns how many the subject has within the window. */
  async recordFailure(tx: Tx, subject: string, now: Date, windowStart: Date): Promise<number> {
    await tx.insertInto('login_failures').values({ subject, at: now }).execute();
    const row = await tx.selectFrom('login_failures').select(sql<number>`count(*)::int`.as('n'))
      .where('subject', '=', subject).where('at', '>', windowStart).executeTakeFirst();
    return row?.n ?? 0;
  },

  async lock(tx: Tx, subject: string, until: Date): Promise<void> {
    await tx.insertInto('lockouts').values({ subject, locked_until: until })
      .onConflict((oc) => oc.column('subject').doUpdateSet({ locked_until: until })).execute();
    await tx.deleteFrom('login_failures').where('subject', '=', subject).execute();
  },

  async clearFailures(tx: Tx, subject: string): Promise<void> {
    await tx.deleteFrom('login_failures').where('subject', '=', subject).execute();
  },
};
