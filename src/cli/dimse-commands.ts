import type { Command } from 'commander';
import { z } from 'zod';
import { roles, type Role } from '../domain/roles.ts';
import { aeTitlePattern, normalizeHostEntry } from '../services/dimse-peer.service.ts';
import { withComposition } from './run-with-services.ts';
import { parseArgument, slugArgument } from './cli-arguments.ts';

const aeArgument = z.string().trim().regex(aeTitlePattern, 'an AE title has 1 to 16 characters, without backslash or control characters');
const hostArgument = z.string().transform((value, ctx) => {
  const entry = normalizeHostEntry(value);
  if (entry !== undefined) return entry;
  ctx.addIssue({ code: 'custom', message: 'give IP addresses or CIDR blocks (10.1.2.3, 10.1.2.0/24)' });
  return z.NEVER;
});

/**
 * `clarus dimse peers add | list | remove` (DCM-2): the calling AE titles allowed to associate, each
 * acting through a service account of its organisation with one role (Technician to send images,
 * Viewer or Radiologist to query them), optionally limited to patients and to source addresses.
 */
export function registerDimseCommands(program: Command, out: (line: string) => void): void {
  const peers = program.command('dimse').description('DICOM network (DIMSE) settings').command('peers').description('DIMSE peers: allowed calling AE titles');
  peers.command('add').description('allow a calling AE title; it acts through a new service account of the organisation')
    .requiredOption('--tenant <slug>', 'organisation slug')
    .requiredOption('--ae <title>', 'the calling AE title of the modality or workstation (unique in this installation)')
    .requiredOption('--role <role>', `${roles.join(' | ')} (Technician: C-STORE and C-FIND of what it sent)`)
    .option('--patients <ids>', 'comma-separated patient ids the peer is limited to')
    .option('--hosts <addresses>', 'comma-separated IP addresses or CIDR blocks it may connect from (default: any)')
    .action((o: { tenant: string; ae: string; role: string; patients?: string; hosts?: string }) => {
      // Arguments are checked before anything is opened: a typo fails at once.
      const tenant = parseArgument(slugArgument, o.tenant, '--tenant');
      const role: Role = parseArgument(z.enum(roles), o.role, '--role');
      const aeTitle = parseArgument(aeArgument, o.ae, '--ae');
      const patientIds = o.patients === undefined ? null : parseArgument(z.array(z.uuid()).min(1), o.patients.split(',').map((p) => p.trim()), '--patients');
      const hosts = o.hosts === undefined ? null : parseArgument(z.array(hostArgument).min(1), o.hosts.split(','), '--hosts');
      return withComposition(async ({ services }) => {
        const peer = await services.dimsePeers.addForTenant(tenant, { aeTitle, role, patientIds, hosts });
        out(`allowed ${peer.aeTitle} (peer ${peer.id}) with role ${peer.role} through service account ${peer.serviceAccountId}${patientIds ? `, limited to ${patientIds.length} patient(s)` : ''}${peer.hosts ? `, from ${peer.hosts.join(', ')}` : ''}`);
      });
    });
  peers.command('list').description('list the peers of an organisation').requiredOption('--tenant <slug>', 'organisation slug')
    .action((o: { tenant: string }) => withComposition(async ({ services }) => {
      for (const peer of await services.dimsePeers.listForTenant(parseArgument(slugArgument, o.tenant, '--tenant'))) {
        out(`${peer.aeTitle}\t${peer.role}\t${peer.patientIds ? `${peer.patientIds.length} patient(s)` : 'all patients of the role'}\t${peer.hosts ? peer.hosts.join(',') : 'any host'}\tpeer ${peer.id}`);
      }
    }));
  peers.command('remove').description('remove a peer and its service account; its next association is rejected')
    .requiredOption('--tenant <slug>', 'organisation slug').requiredOption('--ae <title>', 'the calling AE title')
    .action((o: { tenant: string; ae: string }) => {
      const tenant = parseArgument(slugArgument, o.tenant, '--tenant');
      const aeTitle = parseArgument(aeArgument, o.ae, '--ae');
      return withComposition(async ({ services }) => {
        await services.dimsePeers.removeForTenant(tenant, aeTitle);
        out(`removed ${aeTitle}`);
      });
    });
}
