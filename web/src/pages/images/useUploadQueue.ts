import { useEffect, useState } from 'react';
import type { UploadTarget } from '../../api/imageUpload';
import { type UploadItem, UploadQueue } from './uploadQueue';

/** An upload queue for the page's lifetime (left pages stop their uploads), and its items. */
export function useUploadQueue(target: UploadTarget): { items: UploadItem[]; add: (files: readonly File[]) => void } {
  const [items, setItems] = useState<UploadItem[]>([]);
  const [queue, setQueue] = useState<UploadQueue | null>(null);
  const key = 'patientId' in target ? target.patientId : '';

  useEffect(() => {
    const created = new UploadQueue(key === '' ? { matchByPatientId: true } : { patientId: key }, setItems);
    setQueue(created);
    return () => created.dispose();
  }, [key]);

  return { items, add: (files) => queue?.add(files) };
}
