/** SSE-C: the customer-key headers, what is stored in their place, and the cipher. */
export { SSE_C_COPY_SOURCE_PREFIX, SSE_C_PREFIX, parseSseCustomerHeaders } from './sse-c-headers.ts';
export type { SseCustomerKey } from './sse-c-headers.ts';
export { checkSseCustomerKey, checkSsePartKey, sseKeyMatches, sseRecordFor } from './sse-c-record.ts';
export { counterAt, createSseCipher, newSseIv } from './sse-cipher.ts';
