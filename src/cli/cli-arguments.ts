import { z } from 'zod';

/** Checks of CLI arguments; a failure is one line naming the option (OPS-2). */
export const slugArgument = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'a slug is 2-63 lower-case letters, digits or hyphens');
export const emailArgument = z.email('not a valid e-mail address').max(254);

export function parseArgument<T>(schema: z.ZodType<T>, value: unknown, option: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(`${option}: ${result.error.issues[0]?.message ?? 'invalid'}`);
  return result.data;
}
