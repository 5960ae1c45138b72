import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import { withComposition } from './run-with-services.ts';
import { progressBar } from './progress-bar.ts';

/** `clarus audit verify | export` (AUD-2): recompute the whole log; export it for an auditor's own tools. */
export function registerAuditCommands(program: Command, out: (line: string) => void): void {
  const audit = program.command('audit').description('the tamper-evident audit log');
  audit.command('verify').description('recompute every entry, the Merkle tree and every signed checkpoint; exit 1 on the first problem')
    .action(() => withComposition(async ({ services }) => {
      const report = await services.audit.verify(progressBar('verifying'));
      if (!report.ok) throw new Error(`audit log verification FAILED: ${report.problem}`);
      out(`audit log verified: ${report.entries} entries, ${report.checkpoints} checkpoints, last checkpoint at tree size ${report.lastVerifiedCheckpoint ?? 0}`);
    }));
  audit.command('export').description('write the log (entries, checkpoints, public key) as JSON lines for scripts/verify-audit-export.mjs')
    .requiredOption('--out <file>', 'file to write')
    .action((o: { out: string }) => withComposition(async ({ services }) => {
      const file = createWriteStream(o.out, { flags: 'wx', mode: 0o600 });
      const write = async (value: unknown) => {
        if (!file.write(`${JSON.stringify(value)}\n`)) await once(file, 'drain');
      };
      const { entries, checkpoints } = await services.audit.exportAll(write, progressBar('exporting'));
      file.end();
      await once(file, 'finish');
      out(`exported ${entries} entries and ${checkpoints} checkpoints to ${o.out}`);
    }));
}
