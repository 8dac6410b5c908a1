/** A canonical user id as S3 writes them: 64 hexadecimal digits. */
export function isCanonicalIdFormat(id: string): boolean {
  return /^[0-9a-fA-F]{64}$/.test(id);
}

/** Whether a grant may name `id`: the caller's resolver when given, else the id's form alone. */
export function canonicalIdAccepted(id: string, resolveCanonical?: (id: string) => boolean): boolean {
  return resolveCanonical ? resolveCanonical(id) : isCanonicalIdFormat(id);
}
