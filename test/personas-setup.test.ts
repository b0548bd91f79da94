/**
 * Persona setup (src/personas/setup.ts) through the real @clerk/backend client against the
 * emulator: a second run finds what the first made, and two runs setting up the same personas at
 * the same moment (parallel CI jobs on one development instance) both succeed with the same users,
 * organization and memberships instead of one failing on "email address is taken".
 */
import { createClerkClient } from '@clerk/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { setUpPersonas } from '../src/personas/setup.js';
import type { SuitePersona } from '../src/suite/types.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({});
});
afterAll(() => emu?.stop());

const personas = (tag: string): SuitePersona[] => [
  { name: 'alice', email: `alice-${tag}+clerk_test@example.com`, organization: `acme-${tag}`, role: 'org:admin', permissions: [] },
  { name: 'bob', email: `bob-${tag}+clerk_test@example.com`, organization: `acme-${tag}`, permissions: [] },
  { name: 'rita', email: `rita-${tag}+clerk_test@example.com`, organization: `acme-${tag}`, role: 'org:reviewer', permissions: ['org:jobs:review'] },
  { name: 'carol', email: `carol-${tag}+clerk_test@example.com`, permissions: [], publicMetadata: { plan: 'free' } },
];

describe('setUpPersonas', () => {
  it('is idempotent: a second run finds every user, the organization and each membership', async () => {
    const input = { apiUrl: emu.url, secretKey: emu.secretKey, personas: personas('again') };
    const first = await setUpPersonas(input);
    const second = await setUpPersonas(input);
    expect(second).toEqual(first);
    const clerk = createClerkClient({ secretKey: emu.secretKey, apiUrl: emu.url, telemetry: { disabled: true } });
    const members = await clerk.organizations.getOrganizationMembershipList({ organizationId: first[0]!.organizationId! });
    expect(members.data.map((m) => `${m.publicUserData?.identifier}:${m.role}`).sort()).toEqual([
      'alice-again+clerk_test@example.com:org:admin',
      'bob-again+clerk_test@example.com:org:member',
      'rita-again+clerk_test@example.com:org:reviewer',
    ]);
    expect(first.find((p) => p.name === 'carol')).toMatchObject({ organizationId: undefined, permissions: [] });
  });

  it('two runs racing on the same personas both succeed, with the same ids', async () => {
    const input = { apiUrl: emu.url, secretKey: emu.secretKey, personas: personas('race') };
    const [a, b, c] = await Promise.all([setUpPersonas(input), setUpPersonas(input), setUpPersonas(input)]);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    const clerk = createClerkClient({ secretKey: emu.secretKey, apiUrl: emu.url, telemetry: { disabled: true } });
    const users = await clerk.users.getUserList({ emailAddress: input.personas.map((p) => p.email) });
    expect(users.totalCount).toBe(4); // no persona created twice
    const members = await clerk.organizations.getOrganizationMembershipList({ organizationId: a[0]!.organizationId! });
    expect(members.totalCount).toBe(3);
  });
});
