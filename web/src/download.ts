import type { Download } from './api/client';

/** How long the object URL of a saved file stays valid: the browser reads it when the download starts. */
const RELEASE_AFTER_MS = 60_000;

/**
 * Offers a file the API sent as a download, through a blob: object URL and a clicked
 * `<a download>`: a download navigation, which `default-src 'self'` does not govern (no data: URL,
 * nothing inline). The URL is released a minute later.
 */
export function saveDownload(download: Download, fallbackName: string): void {
  const url = URL.createObjectURL(download.blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = download.filename ?? fallbackName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), RELEASE_AFTER_MS);
}
