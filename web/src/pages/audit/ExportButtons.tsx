import { useState } from 'react';
import type { ExportFormat } from '../../api/audit';
import type { Download } from '../../api/client';
import { ErrorMessage } from '../../components/ErrorMessage';
import { saveDownload } from '../../download';
import { useAction } from '../../hooks/useAction';

interface ExportButtonsProps {
  /** Fetches the file (the API client asks for step-up when the server wants it). */
  load: (format: ExportFormat) => Promise<Download>;
  /** The file name when the server suggests none, without extension. */
  baseName: string;
  /** What is exported, for the buttons' accessible names ("the entries shown"). */
  subject: string;
}

const formats: readonly { format: ExportFormat; label: string; extension: string }[] = [
  { format: 'fhir', label: 'Export FHIR', extension: 'fhir.json' },
  { format: 'csv', label: 'Export CSV', extension: 'csv' },
];

/** "Export FHIR" and "Export CSV": fetch the file through the API client, then offer it as a download. */
export function ExportButtons({ load, baseName, subject }: ExportButtonsProps) {
  const { run, pending, error } = useAction();
  const [saved, setSaved] = useState<string | null>(null);

  async function exportAs(format: ExportFormat, extension: string): Promise<void> {
    setSaved(null);
    await run(async () => {
      const download = await load(format);
      const name = download.filename ?? `${baseName}.${extension}`;
      saveDownload({ ...download, filename: name }, name);
      setSaved(name);
    });
  }

  return (
    <div className="export-buttons">
      <div className="actions">
        {formats.map(({ format, label, extension }) => (
          <button key={format} type="button" className="button" disabled={pending} onClick={() => void exportAs(format, extension)}
            aria-label={`${label}: ${subject}`} data-testid={`export-${format}`}>
            {label}
          </button>
        ))}
      </div>
      <p className="muted status-line" role="status" data-testid="export-status">
        {pending ? 'Preparing the export…' : saved === null ? '' : `Downloaded ${saved}.`}
      </p>
      <ErrorMessage error={error} />
    </div>
  );
}
