/**
 * Copy one key onto a fresh plain object the fast way, and safely: "__proto__" is defined as a
 * plain own property (assignment would set the prototype), every other key is assigned (defining
 * each property would make a slow dictionary-mode object).
 */
export function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}
