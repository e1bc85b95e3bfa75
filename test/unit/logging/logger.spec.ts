import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../libs/logger';

describe(createLogger.name, () => {
  it('redacts secrets wherever they sit in a log line', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger({ level: 'info', name: 'test' }, sink);
    log.info(
      {
        token: 'tok-1',
        callback: { token: 'tok-2' },
        secretKey: 'key-1',
        req: { headers: { authorization: 'Bearer tok-3' } },
        taskToken: 'task-1',
        databaseUrl: 'postgresql://u:pw@h/db',
        vmId: 'vm-1',
      },
      'something happened',
    );
    const text = lines.join('');
    for (const secret of ['tok-1', 'tok-2', 'key-1', 'tok-3', 'task-1', 'pw@h']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('vm-1');
    expect(text).toContain('[redacted]');
  });
});
