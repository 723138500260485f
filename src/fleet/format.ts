/** "40 s", "12 min", "1 h 48 min", "3 days": a duration as people say it. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "an unknown time";
  const seconds = Math.round(Math.abs(ms) / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  return `${Math.round(hours / 24)} days`;
}

/** "12 min ago" for a past instant, "in 12 min" for a future one. */
export function relativeTo(instant: string, now: Date): string {
  const ms = Date.parse(instant) - now.getTime();
  if (!Number.isFinite(ms)) return "at an unknown time";
  return ms < 0 ? `${formatDuration(ms)} ago` : `in ${formatDuration(ms)}`;
}
