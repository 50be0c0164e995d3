import type { DestinationStream } from 'pino';

/**
 * pino-pretty writing to stdout in this thread, for `LOG_FORMAT=pretty`. Loaded only then: it is
 * a development dependency, absent from production images (where JSON is what is wanted).
 */
export function prettyDestination(destination: number | NodeJS.WritableStream = 1): DestinationStream {
  let pretty: typeof import('pino-pretty');
  try {
    pretty = require('pino-pretty') as typeof import('pino-pretty');
  } catch {
    throw new Error('LOG_FORMAT=pretty needs the pino-pretty package (a development dependency); use LOG_FORMAT=json');
  }
  const create = ((pretty as unknown as { default?: typeof pretty }).default ?? pretty) as unknown as (
    options: Record<string, unknown>,
  ) => DestinationStream;
  return create({
    colorize: destination === 1,
    sync: true,
    destination,
    translateTime: 'SYS:HH:MM:ss.l',
    // What the message line shows is not repeated below it; other fields still are.
    ignore: 'pid,hostname,version,service,context,requestId,req,res,method,path,route,status,durationMs',
    messageFormat:
      '{service} {if context}[{context}] {end}{if requestId}({requestId}) {end}{msg}{if route} {method} {path} → {route} {status} {durationMs}ms{end}',
  });
}
