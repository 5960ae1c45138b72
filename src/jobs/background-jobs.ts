import type { ResearchExportService } from '../services/research-export/research-export.service.ts';
import { JobLoop } from './job-loop.ts';

/** Research exports (issue 7): queued ones run, expired archives are destroyed. */
export function startExportJobs(exports: ResearchExportService, onError: (error: unknown) => void, intervalMs = 5000): JobLoop {
  const loop = new JobLoop(async () => {
    await exports.runPending();
    await exports.expire();
  }, intervalMs, onError);
  exports.onQueued(() => loop.wake());
  return loop.start();
}
