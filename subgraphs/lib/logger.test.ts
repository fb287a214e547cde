import Transport from 'winston-transport';
import { addLogTransport, createLogger } from './logger';

/** Collects what reaches it, at its own level (undefined: the logger's). */
class Capture extends Transport {
  lines: Array<Record<string, unknown>> = [];
  override log(info: Record<string, unknown>, next: () => void) {
    this.lines.push(info);
    next();
  }
}

function capturing(level?: string) {
  const capture = new Capture(level ? { level } : {});
  const stop = addLogTransport(capture);
  return { capture, stop };
}

describe('logger levels', () => {
  it('writes nothing below its level and everything at or above it', () => {
    const { capture, stop } = capturing();
    try {
      const logger = createLogger('svc', 'warn');
      logger.info('job done', { jobId: '1' });
      logger.debug('detail');
      logger.warn('slow', { ms: 5 });
      logger.error('broken');
      expect(capture.lines.map((l) => [l.level, l.message, l.service])).toEqual([
        ['warn', 'slow', 'svc'],
        ['error', 'broken', 'svc'],
      ]);
    } finally {
      stop();
    }
  });

  it('does no work for a line below every level: its metadata is never read', () => {
    let reads = 0;
    const meta = Object.defineProperty({}, 'jobId', { enumerable: true, get: () => String(++reads) });
    createLogger('svc', 'warn').info('job done', meta);
    expect(reads).toBe(0);
  });

  it('still lets a transport with a lower level of its own receive those lines', () => {
    const { capture, stop } = capturing('debug');
    try {
      createLogger('svc', 'warn').info('job done');
      expect(capture.lines.map((l) => l.message)).toEqual(['job done']);
    } finally {
      stop();
    }
  });

  it('follows a level changed at run time, and a child logs with its own metadata', () => {
    const { capture, stop } = capturing();
    try {
      const logger = createLogger('svc', 'warn');
      logger.level = 'info';
      logger.child({ worker: 'w1' }).info('job done');
      expect(capture.lines.map((l) => [l.message, l.service, l.worker])).toEqual([['job done', 'svc', 'w1']]);
    } finally {
      stop();
    }
  });
});
