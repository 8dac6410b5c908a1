// Worker threads do not inherit tsx's loader when it was registered programmatically (bin/seedbucket.js).
import { register } from 'tsx/esm/api';

register();
await import('./hash-worker.ts');
