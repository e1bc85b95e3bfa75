/**
 * Host names made from BERTH_HOSTNAME_PATTERN: one DNS label with a `{n}` placeholder for the
 * server's number, optionally zero-padded to a width (`mws-{n:5}` gives `mws-00042`).
 */
export interface HostnamePattern {
  readonly text: string;
  render(n: number): string;
  /** The number a label was made from, or undefined when the pattern did not make it. */
  numberOf(label: string): number | undefined;
}

const patternSyntax = /^([a-z0-9-]*)\{n(?::([1-9]))?\}([a-z0-9-]*)$/;

/** Checks the pattern's form; the error says what is wrong, for the configuration message. */
export function parseHostnamePattern(text: string): HostnamePattern | string {
  const match = patternSyntax.exec(text);
  if (!match) return 'must be one lower-case DNS label with a single {n} or {n:width} in it';
  const [, prefix = '', widthText, suffix = ''] = match;
  if (!/^[a-z]/.test(prefix)) {
    return 'must start with a letter, so no name is a bare number';
  }
  if (suffix.endsWith('-')) return 'must not end with a hyphen';
  const width = widthText === undefined ? 1 : Number(widthText);
  if (prefix.length + suffix.length + Math.max(width, 16) > 63) {
    return 'leaves no room for the number in a 63-character label';
  }
  const numberPart = new RegExp(`^${escape(prefix)}(0*[1-9][0-9]*)${escape(suffix)}$`);
  return {
    text,
    render(n) {
      if (!Number.isSafeInteger(n) || n < 1)
        throw new RangeError(`host number ${n} is not 1 or more`);
      return `${prefix}${String(n).padStart(width, '0')}${suffix}`;
    },
    numberOf(label) {
      const found = numberPart.exec(label);
      if (!found) return undefined;
      const digits = found[1]!;
      // Only the form render() makes: padded to the width, no extra leading zeros.
      const n = Number(digits);
      return String(n).padStart(width, '0') === digits ? n : undefined;
    },
  };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}
