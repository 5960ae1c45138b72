import { useEffect, useRef, useState } from 'react';
import { getThumbnail } from '../../api/images';

const SIZE = 96;

/**
 * An instance's thumbnail drawn on a canvas: read through the API client (session refresh
 * included) and decoded with createImageBitmap, so no blob: URL is needed under the CSP.
 */
export function Thumbnail({ instanceId, label }: { instanceId: string; label: string }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    let current = true;
    getThumbnail(instanceId)
      .then((blob) => createImageBitmap(blob))
      .then((bitmap) => {
        const context = canvasRef.current?.getContext('2d');
        if (!current || !context) return bitmap.close();
        const scale = Math.min(SIZE / bitmap.width, SIZE / bitmap.height);
        const width = bitmap.width * scale;
        const height = bitmap.height * scale;
        context.fillStyle = '#000';
        context.fillRect(0, 0, SIZE, SIZE);
        context.drawImage(bitmap, (SIZE - width) / 2, (SIZE - height) / 2, width, height);
        bitmap.close();
      })
      .catch(() => current && setFailed(true));
    return () => {
      current = false;
    };
  }, [instanceId]);

  if (failed) return <span className="thumbnail thumbnail-missing" data-testid="thumbnail-missing">No preview</span>;
  return <canvas ref={canvasRef} className="thumbnail" width={SIZE} height={SIZE} role="img" aria-label={label} data-testid="thumbnail" />;
}
