// Text from elsewhere (a server's answer, another device's lock description) made safe to print in a terminal:
// escape sequences (CSI, OSC, and the C1 forms) and every other control, format (bidi overrides, zero-width) and
// line/paragraph separator character are dropped, so it cannot move the cursor, recolour, rewrite or hide what
// bkv prints around it; then it is cut to `max` characters (whole code points).

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ESCAPES = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u009b[0-?]*[ -/]*[@-~]|\u009d[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u001b[@-_]?/g;
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cs}\p{Cn}]/gu;

/** `text` without escape sequences or unprintable characters, whitespace runs as one space, at most `max` code points (…). */
export function printable(text: string, max = 80): string {
  const clean = text.replace(ESCAPES, '').replace(/[\t\n\v\f\r\u0085\u2028\u2029]+/g, ' ').replace(UNPRINTABLE, '').replace(/\s+/gu, ' ').trim();
  const points = [...clean];
  return points.length <= max ? clean : `${points.slice(0, max - 1).join('')}…`;
}
