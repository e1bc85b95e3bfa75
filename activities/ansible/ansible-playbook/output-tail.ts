/**
 * A process's output, keeping only its end once it grows past `limit` bytes: the end of a
 * failed run's output says why it failed.
 */
export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = false;

  /** `keep` bytes are held beyond the limit, so redaction still sees a secret the cut would split. */
  constructor(
    private readonly limit: number,
    private readonly keep = 0,
  ) {}

  append(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const held = this.limit + this.keep;
    while (this.size - (this.chunks[0]?.length ?? 0) >= held) {
      this.size -= this.chunks.shift()!.length;
      this.dropped = true;
    }
  }

  /** The kept text, passed through `redact`, then cut to the limit from its start. */
  text(redact: (text: string) => string = (text) => text): string {
    let bytes = Buffer.concat(this.chunks);
    let dropped = this.dropped;
    if (bytes.length > this.limit + this.keep) {
      bytes = bytes.subarray(bytes.length - this.limit - this.keep);
      dropped = true;
    }
    const redacted = Buffer.from(redact(bytes.toString('utf8')));
    if (redacted.length <= this.limit && !dropped) return redacted.toString('utf8');
    const marker = '[earlier output dropped]\n';
    const end = redacted.subarray(Math.max(0, redacted.length - this.limit + marker.length));
    // A cut inside a multi-byte character leaves replacement characters at the start: drop them.
    return marker + end.toString('utf8').replace(/^\uFFFD+/, '');
  }
}
