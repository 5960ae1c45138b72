import { useMemo } from 'react';
import { create } from 'qrcode';

const QUIET_ZONE = 4;

/**
 * A QR code drawn as SVG rectangles from the symbol's modules: no canvas, no data: URL, no
 * injected markup, so it renders under `default-src 'self'`.
 */
export function QrCode({ text, label }: { text: string; label: string }) {
  const { size, dark } = useMemo(() => {
    const { modules } = create(text, { errorCorrectionLevel: 'M' });
    const cells: Array<{ x: number; y: number }> = [];
    for (let row = 0; row < modules.size; row += 1) {
      for (let col = 0; col < modules.size; col += 1) {
        if (modules.get(row, col)) cells.push({ x: col + QUIET_ZONE, y: row + QUIET_ZONE });
      }
    }
    return { size: modules.size + 2 * QUIET_ZONE, dark: cells };
  }, [text]);

  return (
    <svg
      className="qr"
      viewBox={`0 0 ${size} ${size}`}
      role="img"
      aria-label={label}
      shapeRendering="crispEdges"
      data-testid="totp-qr"
    >
      <rect className="qr-light" x={0} y={0} width={size} height={size} />
      {dark.map(({ x, y }) => (
        <rect key={`${x}-${y}`} className="qr-dark" x={x} y={y} width={1} height={1} />
      ))}
    </svg>
  );
}
