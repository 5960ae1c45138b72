import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { deidentifyFile } from '../deid/deid-file.ts';
import type { DeidKeys, DicomDeidOptions } from '../deid/dicom-deidentify.ts';
import { DEID_OPTION_NAMES, isDeidOption, parseSafePrivate, type DeidOption, type SafePrivateAttribute } from '../deid/deid-options.ts';
import type { PixelTextPolicy } from '../deid/pixel-text-risk.ts';
import { DeidService } from '../services/deid/deid-keys.service.ts';
import { parseArgument, slugArgument } from './cli-arguments.ts';
import { progressBar } from './progress-bar.ts';
import { withComposition } from './run-with-services.ts';

const region = z.object({ x: z.number().int().min(0), y: z.number().int().min(0), width: z.number().int().min(1), height: z.number().int().min(1) });
const device = { manufacturer: z.string().max(64).optional(), model: z.string().min(1).max(64) };
/** `--pixel-masks` file: CTP-style regions per device model and image size, plus what else to hold. */
const pixelPolicySchema = z.object({
  masks: z.array(z.object({ ...device, rows: z.number().int().min(1), columns: z.number().int().min(1), regions: z.array(region).min(1) })).default([]),
  deviceModels: z.array(z.object(device)).default([]),
  extraSopClasses: z.array(z.string().regex(/^[0-9.]{1,64}$/)).default([]),
}).strict();

interface DeidCommandOptions {
  out: string;
  tenant: string;
  option: string[];
  allowText?: string;
  safePrivate: string[];
  pixelMasks?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Regular files under a path, in a stable order; symbolic links are not followed. */
async function inputFiles(root: string): Promise<string[]> {
  const info = await lstat(root);
  if (info.isFile()) return [root];
  if (!info.isDirectory()) throw new Error(`${root}: not a file or folder`);
  const found: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await visit(path);
      else if (entry.isFile()) found.push(path);
    }
  };
  await visit(root);
  return found;
}

async function readAllowList(path: string | undefined): Promise<Array<string | RegExp>> {
  if (path === undefined) return [];
  return (await readFile(path, 'utf8')).split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
    // eslint-disable-next-line security/detect-non-literal-regexp -- the operator's own allow-list file, matched against short attribute values
    .map((l) => (l.startsWith('re:') ? new RegExp(l.slice(3), 'iu') : l));
}

async function readPixelPolicy(path: string | undefined): Promise<PixelTextPolicy> {
  if (path === undefined) return {};
  const parsed = pixelPolicySchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
  if (!parsed.success) throw new Error(`--pixel-masks: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

function parseOptions(names: string[]): DeidOption[] {
  for (const name of names) if (!isDeidOption(name)) throw new Error(`--option: unknown option ${name} (one of ${DEID_OPTION_NAMES.join(', ')})`);
  return [...new Set(names as DeidOption[])];
}

function parseSafePrivateList(entries: string[]): SafePrivateAttribute[] {
  return entries.map((entry) => {
    const parsed = parseSafePrivate(entry);
    if (!parsed) throw new Error(`--safe-private: ${entry} is not CREATOR:gggg,xxee with an odd group`);
    return parsed;
  });
}

interface DeidRun {
  inputRoot: string;
  outRoot: string;
  files: string[];
  maxBytes: number;
  settings: DicomDeidOptions;
  keys: DeidKeys;
}

/** De-identifies each file into the output folder; one line per file. Output names never reuse input names. */
async function deidentifyInto(run: DeidRun, out: (line: string) => void): Promise<{ written: number; refused: number }> {
  const bar = progressBar('de-identifying');
  const written = new Map<string, string>();
  let refused = 0;
  for (const [index, path] of run.files.entries()) {
    const name = relative(run.inputRoot, path) || basename(path);
    const refuse = (reason: string): void => {
      refused += 1;
      out(`refused\t${name}\t${reason}`);
    };
    const size = (await lstat(path)).size;
    const result = size > run.maxBytes ? undefined : await deidentifyFile(await readFile(path), run.settings, run.keys);
    if (result === undefined) {
      refuse(`TOO_LARGE: over ${run.maxBytes} bytes`);
    } else if (!result.ok) {
      refuse(`${result.code}: ${result.reason}`);
    } else {
      const target = result.report.kind === 'dicom' ? `${result.report.dicom.sopInstanceUid}.dcm` : `${result.report.kind}-${run.keys.token('file', name, 16)}${result.extension}`;
      const earlier = written.get(target);
      if (earlier !== undefined) {
        refuse(`DUPLICATE: the same instance as ${earlier}`);
      } else {
        await writeFile(join(run.outRoot, target), result.bytes, { flag: 'wx', mode: 0o600 });
        written.set(target, name);
        out(`ok\t${name}\t${target}\t${result.summary}`);
      }
    }
    bar(index + 1, run.files.length);
  }
  return { written: written.size, refused };
}

/**
 * `clarus deid <file-or-folder> --out <folder> --tenant <slug>` (issue 7, item 7): de-identifies
 * DICOM, NIfTI, PNG and JPEG files with the organisation's keys, for sites that must de-identify a
 * folder before sharing it. Nothing is stored in Clarus (the tenant's pseudonym key is created on
 * first use). One line per file on stdout; files it cannot make safe are refused with their reason
 * and make the exit status 1. Output names never reuse input names (they may hold PHI).
 */
export function registerDeidCommands(program: Command, out: (line: string) => void): void {
  program.command('deid').description('de-identify DICOM, NIfTI, PNG and JPEG files into a folder with an organisation\'s keys (PS3.15 Annex E)')
    .argument('<input>', 'a file or a folder (searched recursively)')
    .requiredOption('--out <folder>', 'output folder: new or empty, not inside the input folder')
    .requiredOption('--tenant <slug>', 'organisation whose pseudonym key is used')
    .option('--option <name>', `profile option, repeatable: ${DEID_OPTION_NAMES.join(', ')}`, collect, [])
    .option('--allow-text <file>', 'clean options: free text kept only when a line of this file matches it (re:<regex> for patterns)')
    .option('--safe-private <attribute>', 'retain-safe-private: a private attribute to keep, CREATOR:gggg,xxee; repeatable', collect, [])
    .option('--pixel-masks <file>', 'JSON: {"masks":[{"manufacturer","model","rows","columns","regions":[{"x","y","width","height"}]}],"deviceModels":[],"extraSopClasses":[]}')
    .action(async (input: string, o: DeidCommandOptions) => {
      // Everything that can be refused without the database is checked first.
      const options = parseOptions(o.option);
      const safePrivate = parseSafePrivateList(o.safePrivate);
      const slug = parseArgument(slugArgument, o.tenant, '--tenant');
      const [textAllowList, policy] = await Promise.all([readAllowList(o.allowText), readPixelPolicy(o.pixelMasks)]);
      const inputRoot = resolve(input);
      const outRoot = resolve(o.out);
      if (outRoot === inputRoot || outRoot.startsWith(inputRoot + sep)) throw new Error('--out: the output folder must not be inside the input');
      const files = await inputFiles(inputRoot);
      await mkdir(outRoot, { recursive: true, mode: 0o700 });
      if ((await readdir(outRoot)).length > 0) throw new Error(`--out: ${o.out} is not empty`);
      await withComposition(async ({ config, databases, services }) => {
        const tenantId = await services.serviceAccounts.tenantIdOfSlug(slug);
        const keys = await new DeidService(databases.unitOfWork, services.protection).pseudonymsFor(tenantId);
        const run: DeidRun = { inputRoot, outRoot, files, maxBytes: config.ingest.maxBytes, settings: { options, textAllowList, safePrivate, pixelText: { policy } }, keys };
        const { written, refused } = await deidentifyInto(run, out);
        out(`${written} file(s) de-identified into ${o.out}, ${refused} refused`);
        if (refused > 0) throw new Error(`${refused} file(s) refused: they were not written (see the lines above)`);
      });
    });
}
