/** Minimal structured logger: JSON lines on stderr; debug only with SEEDBUCKET_LOG=debug. */
type Fields = Record<string, unknown>;
const debugOn = (process.env.SEEDBUCKET_LOG ?? '').toLowerCase() === 'debug';

function write(level: string, fields: Fields, msg?: string): void {
  process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), ...(msg ? { msg } : {}), ...fields })}\n`);
}

export const log = {
  debug(fields: Fields, msg?: string): void { if (debugOn) write('debug', fields, msg); },
  info(fields: Fields, msg?: string): void { write('info', fields, msg); },
  warn(fields: Fields, msg?: string): void { write('warn', fields, msg); },
  error(fields: Fields, msg?: string): void { write('error', fields, msg); },
};
