import { toApiError } from '../../api/errors';
import { type UploadOutcome, type UploadTarget, uploadImage } from '../../api/imageUpload';
import { RESUMABLE_THRESHOLD, uploadResumable } from '../../api/resumableUpload';

/** Files sent at the same time; the rest wait their turn. */
export const PARALLEL_UPLOADS = 3;

/** `reconciliation`: DICOM whose Patient ID matched no MRN, kept in the reconciliation list (202). */
export type UploadState = 'queued' | 'uploading' | 'stored' | 'duplicate' | 'reconciliation' | 'refused' | 'failed';

/** One chosen file and how its upload went. */
export interface UploadItem {
  id: number;
  name: string;
  size: number;
  state: UploadState;
  /** 0..1 of the bytes sent. */
  progress: number;
  /** The server's (or the browser's) message when refused or failed; while uploading, a resumption notice. */
  message: string | null;
  outcome: UploadOutcome | null;
}

/**
 * Uploads files one request each, at most {@link PARALLEL_UPLOADS} at a time, and reports every
 * change of every item. Not React: the page's hook holds one and renders what it reports.
 */
export class UploadQueue {
  private items: UploadItem[] = [];
  private readonly waiting: { id: number; file: File }[] = [];
  private running = 0;
  private nextId = 1;
  private readonly abort = new AbortController();

  constructor(
    private readonly target: UploadTarget,
    private readonly onChange: (items: UploadItem[]) => void,
  ) {}

  /** Queues files and starts as many as the limit allows. */
  add(files: readonly File[]): void {
    for (const file of files) {
      const id = this.nextId++;
      this.items = [...this.items, { id, name: file.name, size: file.size, state: 'queued', progress: 0, message: null, outcome: null }];
      this.waiting.push({ id, file });
    }
    this.onChange(this.items);
    this.pump();
  }

  /** Stops every upload in flight and drops the waiting ones (the page was left). */
  dispose(): void {
    this.waiting.length = 0;
    this.abort.abort();
  }

  private update(id: number, patch: Partial<UploadItem>): void {
    this.items = this.items.map((item) => (item.id === id ? { ...item, ...patch } : item));
    this.onChange(this.items);
  }

  private pump(): void {
    while (this.running < PARALLEL_UPLOADS && !this.abort.signal.aborted) {
      const job = this.waiting.shift();
      if (job === undefined) return;
      this.running += 1;
      this.update(job.id, { state: 'uploading' });
      // Large files go with tus in chunks and resume after a network error; small ones in one request.
      const onProgress = (progress: number) => this.update(job.id, { progress, message: null });
      const upload = job.file.size > RESUMABLE_THRESHOLD
        ? uploadResumable(this.target, job.file, onProgress, this.abort.signal, () => this.update(job.id, { message: 'Connection lost; resuming…' }))
        : uploadImage(this.target, job.file, onProgress, this.abort.signal);
      upload
        .then(
          (outcome) => this.update(job.id, { state: outcome.status, progress: 1, outcome }),
          (error: unknown) => {
            const failure = toApiError(error);
            this.update(job.id, { state: failure.status === 0 ? 'failed' : 'refused', message: failure.message });
          },
        )
        .finally(() => {
          this.running -= 1;
          this.pump();
        });
    }
  }
}
