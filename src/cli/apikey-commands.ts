import type { Command } from 'commander';
import { z } from 'zod';
import { roles, type Role } from '../domain/roles.ts';
import { withComposition } from './run-with-services.ts';
import { parseArgument, slugArgument } from './cli-arguments.ts';


/** `clarus apikeys create | list | revoke` (ROLE-4). The new key is the last line, shown once. */
export function registerApiKeyCommands(program: Command, out: (line: string) => void): void {
  const apikeys = program.command('apikeys').description('service accounts and their API keys');
  apikeys.command('create').description('create a service account with one role and print its API key (shown once, last line)')
    .requiredOption('--tenant <slug>', 'organisation slug')
    .requiredOption('--role <role>', roles.join(' | '))
    .requiredOption('--name <name>', 'service account name')
    .option('--patients <ids>', 'comma-separated patient ids the key is limited to')
    .option('--expires-days <n>', 'days until the key expires', '90')
    .action((o: { tenant: string; role: string; name: string; patients?: string; expiresDays: string }) => withComposition(async ({ services }) => {
      const role: Role = parseArgument(z.enum(roles), o.role, '--role');
      const name = parseArgument(z.string().trim().min(1).max(100).regex(/^[^\u0000-\u001F\u007F]+$/u, 'no control characters'), o.name, '--name');
      const expiresDays = parseArgument(z.coerce.number().int().min(1).max(365), o.expiresDays, '--expires-days');
      const patientIds = o.patients === undefined ? null : parseArgument(z.array(z.uuid()).min(1), o.patients.split(',').map((p) => p.trim()), '--patients');
      const { account, key, expiresAt } = await services.serviceAccounts.createForTenant(parseArgument(slugArgument, o.tenant, '--tenant'), { name, role, patientIds, expiresDays });
      out(`created service account ${account.name} (${account.id}) with role ${role}${patientIds ? ` limited to ${patientIds.length} patient(s)` : ''}`);
      out(`the key expires at ${expiresAt.toISOString()}; it is shown once, send it as the X-API-Key header:`);
      out(key);
    }));
  apikeys.command('list').description('list service accounts and their keys').requiredOption('--tenant <slug>', 'organisation slug')
    .action((o: { tenant: string }) => withComposition(async ({ services }) => {
      const tenantId = await services.serviceAccounts.tenantIdOfSlug(parseArgument(slugArgument, o.tenant, '--tenant'));
      for (const account of await services.serviceAccounts.listForTenant(tenantId)) {
        for (const key of account.keys) {
          const state = key.revokedAt ? 'revoked' : key.expiresAt <= new Date() ? 'expired' : 'active';
          out(`${account.name}\t${account.role}\tkey ${key.id}\t${state}\texpires ${key.expiresAt.toISOString()}`);
        }
      }
    }));
  apikeys.command('revoke').description('revoke an API key at once').requiredOption('--tenant <slug>', 'organisation slug').requiredOption('--key-id <id>', 'key id (from list)')
    .action((o: { tenant: string; keyId: string }) => withComposition(async ({ services }) => {
      const tenantId = await services.serviceAccounts.tenantIdOfSlug(parseArgument(slugArgument, o.tenant, '--tenant'));
      await services.serviceAccounts.revoke(tenantId, parseArgument(z.uuid(), o.keyId, '--key-id'), null, { sourceAddress: null, requestId: null });
      out(`revoked key ${o.keyId}`);
    }));
}
