const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
] as const;

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * C `ctime()` in local time without its trailing newline:
 * `Thu Nov 26 08:33:50 2026`; the day of the month is padded with a space
 * (`Nov  6`), as `asctime` does.
 */
export function formatCtime(date: Date): string {
  const day = date.getDate();
  return (
    `${DAYS[date.getDay()]} ${MONTHS[date.getMonth()]} ${day < 10 ? ` ${day}` : day} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())} ${date.getFullYear()}`
  );
}
