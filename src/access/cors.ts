/** Bucket CORS: the configuration document, and matching requests against its rules. */
export { CORS_METHODS, MAX_CORS_DOCUMENT_BYTES, MAX_CORS_RULES, corsConfigurationXml, parseCorsConfiguration } from './cors-config.ts';
export {
  CORS_VARY, corsHeaders, corsPreflightRefusal, evaluateCors, matchCors, requestHeaderList, wildcardMatch,
} from './cors-match.ts';
export type { CorsRefusal, CorsRequest } from './cors-match.ts';
