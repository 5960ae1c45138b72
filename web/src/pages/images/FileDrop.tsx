import { type DragEvent, useId, useState } from 'react';

/**
 * Choose files with the file dialog or drop them here. The input is the accessible control; the
 * drop zone is its label, so clicking it opens the dialog too.
 */
export function FileDrop({ accept, hint, onFiles }: { accept?: string | undefined; hint: string; onFiles: (files: File[]) => void }) {
  const id = useId();
  const [over, setOver] = useState(false);

  function drop(event: DragEvent<HTMLLabelElement>): void {
    event.preventDefault();
    setOver(false);
    const files = Array.from(event.dataTransfer.files);
    if (files.length > 0) onFiles(files);
  }

  return (
    <div className="file-drop-wrap">
      <label htmlFor={id} className={over ? 'file-drop file-drop-over' : 'file-drop'} data-testid="file-drop"
        onDragOver={(event) => {
          event.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={drop}>
        <span>
          <strong>Drop files here</strong> or <span className="file-drop-choose">choose files</span>
        </span>
        <span className="muted file-drop-hint">{hint}</span>
      </label>
      <input id={id} className="visually-hidden" type="file" multiple accept={accept} data-testid="file-input"
        onChange={(event) => {
          const files = Array.from(event.currentTarget.files ?? []);
          event.currentTarget.value = '';
          if (files.length > 0) onFiles(files);
        }} />
    </div>
  );
}
