const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

/**
 * Makes `s` safe as one path segment of the filing tree: ASCII only (accents folded, other
 * characters dropped, dashes/quotes mapped), no slashes, control characters or `<>:"|?*`,
 * whitespace collapsed, no leading/trailing dots, dashes or spaces, at most `maxLen` characters
 * (default 150). Returns `'untitled'` when nothing is left.
 */
export function sanitizeFileNamePart(s: string, maxLen = 150): string {
  const limit = Math.max(1, Math.floor(maxLen));
  let out = s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/[\u2018\u2019\u201a\u2032]/g, "'")
    .replace(/[\u201c\u201d\u201e\u2033]/g, '')
    .replace(/\u00df/g, 'ss')
    .replace(/[\u00e6\u00c6]/g, (c) => (c === '\u00e6' ? 'ae' : 'AE'))
    .replace(/[\u00f8\u00d8]/g, (c) => (c === '\u00f8' ? 'o' : 'O'))
    // eslint-disable-next-line no-control-regex -- stripping control characters is the point
    .replace(/[\s\u0000-\u001f\u007f]+/g, ' ')
    .replace(/[/\\<>:"|?*]+/g, '-')
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/ {2,}/g, ' ')
    .replace(/-{2,}/g, '-');
  const trim = (v: string) => v.replace(/^[\s.\-_]+|[\s.\-_]+$/g, '');
  out = trim(out);
  if (out.length > limit) out = trim(out.slice(0, limit));
  if (WINDOWS_RESERVED.test(out)) out = `${out}_`.slice(0, Math.max(limit, 1));
  return out.length > 0 ? out : 'untitled'.slice(0, limit);
}

/** `name` without its last extension (`"a.b.pdf"` -> `"a.b"`); a leading dot is not an extension. */
export function stripExtension(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? name;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}
