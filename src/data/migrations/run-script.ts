import { sql, type Kysely } from 'kysely';

/**
 * Runs a migration script statement by statement: the pg driver sends parameterised (extended
 * protocol) queries, which hold one statement each. Scripts must end each statement with `;` at
 * the end of a line and must not use dollar-quoted bodies containing such lines.
 */
export async function runScript(db: Kysely<unknown>, script: string): Promise<void> {
  for (const statement of script.split(/;\s*\n/)) {
    if (statement.trim() !== '') await sql.raw(statement).execute(db);
  }
}
