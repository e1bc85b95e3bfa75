const mask = '[redacted]';

/**
 * Replaces secrets' values in text that leaves a run (its output, its error message): each value
 * as written, as JSON-escaped (ansible prints results as JSON) and, for values of several lines
 * (keys, certificates), each long line on its own.
 */
export class Redactor {
  private readonly needles: string[];

  constructor(secrets: readonly string[]) {
    const needles = new Set<string>();
    for (const secret of secrets) {
      if (secret.length === 0) continue;
      needles.add(secret);
      needles.add(JSON.stringify(secret).slice(1, -1));
      for (const line of secret.split(/\r?\n/)) {
        if (line.trim().length >= 16) needles.add(line.trim());
      }
    }
    // Longest first, so a value is masked whole before any part of it is.
    this.needles = [...needles].sort((a, b) => b.length - a.length);
  }

  /** The longest text masked: output kept beyond its limit by this much is still masked whole. */
  get longest(): number {
    return this.needles[0]?.length ?? 0;
  }

  redact(text: string): string {
    let result = text;
    for (const needle of this.needles) result = result.split(needle).join(mask);
    return result;
  }
}
