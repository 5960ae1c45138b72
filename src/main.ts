import { Command, CommanderError } from 'commander';
import { registerAdminCommands } from './cli/admin-commands.ts';
import { serve } from './cli/serve-command.ts';
import { registerApiKeyCommands } from './cli/apikey-commands.ts';
import { registerAuditCommands } from './cli/audit-commands.ts';
import { registerKeyCommands } from './cli/key-commands.ts';
import { registerDimseCommands } from './cli/dimse-commands.ts';
import { registerBackupCommands } from './cli/backup-commands.ts';
import { registerDeidCommands } from './cli/deid-commands.ts';

/** Entry point: `clarus serve | init | tenants | users` (OPS-2). */
const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** One line on stderr and a non-zero exit: what scripts and operators need on failure. */
function fail(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`clarus: ${message.split('\n')[0]}\n`);
  process.exit(1);
}

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) fail(`Node ${process.versions.node} is too old; run through npm or npx so that the project's Node 24 is used`);

const program = new Command('clarus')
  .description('Clarus: secure medical imaging AI platform')
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(text) });
program.command('serve').description('start the server (embedded database unless DATABASE_URL is set)').action(() => serve(out));
registerAdminCommands(program, out);
registerApiKeyCommands(program, out);
registerAuditCommands(program, out);
registerKeyCommands(program, out);
registerDimseCommands(program, out);
registerBackupCommands(program, out);
registerDeidCommands(program, out);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) process.exit(0);
    process.exit(error.exitCode);
  }
  fail(error);
}
