#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx): there is no build step.
import v8 from 'node:v8';
import { register } from 'tsx/esm/api';

// V8 starts incremental marking whenever the old generation's headroom is below the young generation's
// capacity, and during uploads (gigabytes of short-lived socket buffers) in a process this size that is
// always: --trace-gc counted 76 full mark-compacts per 2 GiB PUT with it, 1 without, and PUTs ran ~20%
// faster without. This heap stays at tens of MB, so a non-incremental collection pauses for milliseconds.
v8.setFlagsFromString('--no-incremental-marking');
register();
await import('../src/cli/main.ts');
