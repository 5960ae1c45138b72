import type { Command } from 'commander';
import { roles, type Role } from '../domain/roles.ts';
import { withComposition } from './run-with-services.ts';
import { emailArgument, parseArgument, slugArgument } from './cli-arguments.ts';


function parseRoles(text: string): Role[] {
  const list = text.split(',').map((r) => r.trim()).filter(Boolean);
  const unknown = list.filter((r) => !(roles as readonly string[]).includes(r));
  if (list.length === 0 || unknown.length > 0) throw new Error(`--roles takes a comma-separated list of ${roles.join(', ')}`);
  return list as Role[];
}

async function createTenant(slug: string, adminEmail: string, name: string | undefined, out: (line: string) => void): Promise<void> {
  const validSlug = parseArgument(slugArgument, slug, '--tenant/--slug');
  const email = parseArgument(emailArgument, adminEmail, '--admin-email');
  await withComposition(async ({ services }) => {
    const { tenant, link } = await services.tenants.create(validSlug, name ?? validSlug, email);
    out(`created organisation ${tenant.slug} (${tenant.id}) with Administrator ${email}`);
    out(`the enrolment link expires at ${link.expiresAt.toISOString()} and works once; open it to set a password and a second factor:`);
    // Scripts read the link from the last line of the output.
    out(link.url);
  });
}

/** `init`, `tenants` and `users`: the operator's commands (OPS-2). Links are always the last line. */
export function registerAdminCommands(program: Command, out: (line: string) => void): void {
  program.command('init')
    .description('create the first organisation and its Administrator; prints a one-time enrolment link')
    .requiredOption('--tenant <slug>', 'organisation slug').requiredOption('--admin-email <email>', 'Administrator e-mail')
    .option('--name <name>', 'organisation display name')
    .action((o: { tenant: string; adminEmail: string; name?: string }) => createTenant(o.tenant, o.adminEmail, o.name, out));

  const tenants = program.command('tenants').description('manage organisations');
  tenants.command('create').description('create an organisation with an Administrator; prints a one-time enrolment link')
    .requiredOption('--slug <slug>', 'organisation slug').requiredOption('--admin-email <email>', 'Administrator e-mail')
    .option('--name <name>', 'organisation display name')
    .action((o: { slug: string; adminEmail: string; name?: string }) => createTenant(o.slug, o.adminEmail, o.name, out));
  tenants.command('list').description('list organisations').action(() => withComposition(async ({ services }) => {
    for (const t of await services.tenants.list()) out(`${t.slug}\t${t.id}\t${t.name}`);
  }));

  const users = program.command('users').description('manage users');
  users.command('invite').description('invite a user; prints a one-time enrolment link')
    .requiredOption('--tenant <slug>', 'organisation slug').requiredOption('--email <email>', 'e-mail')
    .requiredOption('--roles <roles>', `comma-separated: ${roles.join(',')}`)
    .action((o: { tenant: string; email: string; roles: string }) => withComposition(async ({ services }) => {
      const email = parseArgument(emailArgument, o.email, '--email');
      const link = await services.tenants.inviteUser(parseArgument(slugArgument, o.tenant, '--tenant'), email, parseRoles(o.roles));
      out(`invited ${email}; the link expires at ${link.expiresAt.toISOString()} and works once:`);
      out(link.url);
    }));
  users.command('list').description('list the users of an organisation')
    .requiredOption('--tenant <slug>', 'organisation slug')
    .action((o: { tenant: string }) => withComposition(async ({ services }) => {
      for (const u of await services.tenants.listUsers(parseArgument(slugArgument, o.tenant, '--tenant'))) {
        out(`${u.email}\t${u.status}\t${u.roles.join(',')}\t${u.mfaEnrolled ? 'mfa' : 'no-mfa'}`);
      }
    }));
}
