/** A terminal progress bar on stderr (stdout stays clean for scripts that read the last line). */
export function progressBar(label: string): (done: number, total: number) => void {
  let lastPercent = -1;
  return (done, total) => {
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    if (percent === lastPercent) return;
    lastPercent = percent;
    const filled = Math.round(percent / 5);
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(20 - filled)}] ${percent}% ${done}/${total}${percent === 100 ? '\n' : ''}`);
  };
}
