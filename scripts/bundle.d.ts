export const BUNDLE: string;
export function bundleIsFresh(file?: string): boolean;
export function buildBundle(file?: string): Promise<void>;
