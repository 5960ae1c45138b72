import { useEffect, useRef, type RefObject } from 'react';

/**
 * A ref for a `<dialog>` that is shown as a modal while the component is mounted and closed when it
 * unmounts.
 */
export function useModalDialog(): RefObject<HTMLDialogElement | null> {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog !== null && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return ref;
}
