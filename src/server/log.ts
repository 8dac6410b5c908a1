import { pino } from 'pino';

/** JSON lines on stderr (stdout carries only the "listening on" lines). Level from SEEDBUCKET_LOG (default info). */
export const log = pino({ level: process.env.SEEDBUCKET_LOG ?? 'info', base: null }, pino.destination(2));
