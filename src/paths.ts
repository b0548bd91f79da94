import { fileURLToPath } from 'node:url';
import path from 'node:path';

/**
 * The package root, whether this module runs from src/ (vitest, tsx) or dist/ (the built CLI):
 * both sit one level below it. Shipped files (schemas, default suite, fixtures) resolve from here,
 * never from the user's cwd.
 */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function packagePath(...parts: string[]): string {
  return path.join(PACKAGE_ROOT, ...parts);
}
