import type { LookupFunction } from 'node:net';

/**
 * A resolver for virtual-hosted-style tests (`--domain s3.localhost`): every *.s3.localhost name is
 * loopback, anything else is refused, so no request can leave the box.
 */
export const s3LocalhostLookup: LookupFunction = (hostname, options, callback) => {
  if (!/(^|\.)s3\.localhost$/.test(hostname)) {
    callback(Object.assign(new Error(`test resolver refuses ${hostname}`), { code: 'ENOTFOUND' }), '', 4);
    return;
  }
  if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};
