import type { Command } from 'commander';
import { parseArgument, slugArgument } from './cli-arguments.ts';
import { progressBar } from './progress-bar.ts';
import { withComposition } from './run-with-services.ts';

const operator = { tenantId: null, kind: 'system' as const, id: null };
const noOrigin = { sourceAddress: null, requestId: null };

/** `clarus keys status | rotate | rotate-root` (KEY-3): key ages and versions, rotations on demand. */
export function registerKeyCommands(program: Command, out: (line: string) => void): void {
  const keys = program.command('keys').description('encryption keys: status and rotation');
  keys.command('status').description("show an organisation's keys: version, state, age, next rotation (never key material)")
    .requiredOption('--tenant <slug>', 'organisation slug')
    .action((o: { tenant: string }) => withComposition(async ({ services }) => {
      const tenantId = await services.serviceAccounts.tenantIdOfSlug(parseArgument(slugArgument, o.tenant, '--tenant'));
      const status = await services.keys.status(tenantId);
      out(`root key: ${status.rootKeyId} (${status.provider}); tenant keys rotate every ${status.rotationDays} days`);
      for (const k of status.keys) {
        const next = k.nextRotation ? `\tnext rotation ${k.nextRotation.toISOString().slice(0, 10)}` : '';
        const wrapped = k.patientKeys === null ? '' : `\t${k.patientKeys} patient key(s)`;
        out(`${k.purpose}\tv${k.version}\t${k.state}\t${k.ageDays} day(s) old${wrapped}${next}`);
      }
    }));
  keys.command('rotate').description("rotate an organisation's key-encryption key now; re-wraps patient keys online (resumable)")
    .requiredOption('--tenant <slug>', 'organisation slug')
    .action((o: { tenant: string }) => withComposition(async ({ services }) => {
      const tenantId = await services.serviceAccounts.tenantIdOfSlug(parseArgument(slugArgument, o.tenant, '--tenant'));
      const bar = progressBar('re-wrapping patient keys');
      const version = await services.keys.rotateTenant(tenantId, { ...operator, tenantId }, noOrigin, (p) => bar(p.done, p.total));
      out(`key-encryption key of ${o.tenant} is now version ${version}; older versions are retired`);
    }));
  keys.command('resume').description('finish interrupted rotations and rotate keys that are due (serve does this hourly)')
    .action(() => withComposition(async ({ services }) => {
      const bar = progressBar('re-wrapping patient keys');
      const { resumed, rotated } = await services.keys.runSchedule((p) => bar(p.done, p.total));
      out(`resumed ${resumed} rotation(s), rotated ${rotated} due key(s)`);
    }));
  keys.command('rotate-root').description('re-wrap every tenant key under the current root key (local: after setting a new CLARUS_ROOT_KEY)')
    .option('--new-key', 'create the next root key inside the HSM first (pkcs11 provider)')
    .option('--retire-old', 'destroy old root keys that nothing references any more (pkcs11 provider)')
    .action((o: { newKey?: boolean; retireOld?: boolean }) => withComposition(async ({ services }) => {
      const bar = progressBar('re-wrapping tenant keys');
      const result = await services.keys.rotateRoot(operator, noOrigin, { newRootKey: o.newKey === true, retireOld: o.retireOld === true }, (p) => bar(p.done, p.total));
      out(`root key ${result.rootKeyId}: ${result.rewrapped} tenant key(s) re-wrapped${result.retired.length > 0 ? `, retired ${result.retired.join(', ')}` : ''}`);
    }));
}
