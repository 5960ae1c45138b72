import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import type { Command } from 'commander';
import { progressBar } from './progress-bar.ts';
import { withComposition } from './run-with-services.ts';

/**
 * `clarus backup --out <file>` and `clarus restore --in <file>` (issue 5, item 6): one encrypted,
 * integrity-protected archive of both databases and every object; a restore into an empty instance
 * that verifies everything before it commits. Progress on stderr, the result on stdout.
 */
export function registerBackupCommands(program: Command, out: (line: string) => void): void {
  program.command('backup').description('write one encrypted archive: both databases, every object, the wrapped keys (never the root key)')
    .requiredOption('--out <file>', 'archive to create (must not exist)')
    .action((o: { out: string }) => withComposition(async ({ services }) => {
      if (await stat(o.out).then(() => true, () => false)) throw new Error(`--out: ${o.out} exists already`);
      // Written under a temporary name, fsynced, then renamed: a cut-short backup never looks complete.
      const partial = `${o.out}.partial`;
      try {
        const file = createWriteStream(partial, { flags: 'wx', mode: 0o600 });
        const bars = { rows: progressBar('backing up rows'), 'object bytes': progressBar('backing up object bytes') };
        const result = await services.backup.create(file, (p) => bars[p.phase](p.done, p.total));
        // fsync(2) applies to the file, whichever descriptor asks: the archive is durable before it gets its name.
        const handle = await open(partial, 'r');
        await handle.sync().finally(() => handle.close());
        await rename(partial, o.out);
        const size = (await stat(o.out)).size;
        out(`backup ${result.backupId} written to ${o.out} (${size} bytes): ${result.rows} rows in ${result.tables} tables, ${result.objects} objects (${result.objectBytes} bytes)`);
      } catch (error) {
        await unlink(partial).catch(() => undefined);
        throw error;
      }
    }));

  program.command('restore').description('restore an archive into this empty instance, verify it, and commit only if everything checks out')
    .requiredOption('--in <file>', 'archive written by `clarus backup`')
    .option('--only <part>', "'audit': finish a restore whose audit database did not commit (the message says when)")
    .action((o: { in: string; only?: string }) => withComposition(async ({ services }) => {
      if (o.only !== undefined && o.only !== 'audit') throw new Error("--only: the only part that can be restored alone is 'audit'");
      const size = (await stat(o.in)).size;
      const bar = progressBar('restoring');
      let read = 0;
      const result = await services.backup.restore(createReadStream(o.in), {
        ...(o.only ? { only: 'audit' as const } : {}),
        onProgress: (n) => {
          read = n;
          bar(n, size);
        },
      }).catch((error: unknown) => {
        // End the progress line, so that the one-line error stands on its own line.
        if (read > 0 && read < size) process.stderr.write('\n');
        throw error;
      });
      for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
      out(`restored backup ${result.backupId} of ${result.createdAt}: ${result.rows} rows, ${result.objects} objects (${result.objectBytes} bytes)`);
      out(`verified: ${result.tenants} organisation(s), ${result.tenantKeys} tenant key(s) and ${result.patientKeys} patient key(s) unwrap, ${result.patients} patient(s) decrypt, audit log of ${result.auditEntries} entries and ${result.auditCheckpoints} checkpoints verifies`);
    }));
}
