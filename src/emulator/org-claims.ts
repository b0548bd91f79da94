/**
 * The v2 session-token claims for an active organization (clerk-wire-format §1; DOCS
 * session-tokens.mdx "Decode o.fpm manually"):
 *   fea   = "o:<feature>,o:<feature>"          one entry per feature that has a granted permission
 *   o.per = "<action>,<action>"                every action used by those permissions
 *   o.fpm = "<mask>,<mask>"                    per feature of `fea`, bit j (LSB first) grants per[j]
 *   o.rol = the role key without "org:"        (`org:admin` -> `admin`)
 * @clerk/backend rebuilds `org:<feature>:<action>` from these (SHARED jwtPayloadParser.ts).
 * System permissions (`org:sys_*`) are never put in session claims, as Clerk does.
 */

export interface ActiveOrganization {
  id: string;
  slug: string;
  /** Role key, e.g. `org:admin` or `org:billing_manager`. */
  role: string;
  /** Permission keys of the role, `org:<feature>:<action>`; system ones are dropped here. */
  permissions: readonly string[];
}

export interface OrganizationClaims {
  o: Record<string, string>;
  /** Absent when the role grants no custom permission. */
  fea?: string;
}

const PERMISSION_KEY = /^org:([^:]+):([^:]+)$/;

export function organizationClaims(active: ActiveOrganization): OrganizationClaims {
  const byFeature = new Map<string, Set<string>>();
  for (const key of active.permissions) {
    const m = PERMISSION_KEY.exec(key);
    if (!m || m[1].startsWith('sys_')) continue;
    let actions = byFeature.get(m[1]);
    if (!actions) byFeature.set(m[1], (actions = new Set()));
    actions.add(m[2]);
  }
  const o: Record<string, string> = { id: active.id, slg: active.slug, rol: active.role.replace(/^org:/, '') };
  if (byFeature.size === 0) return { o };
  // Sorted, as in the docs' example (fea "o:dashboard,o:teams", per "manage,read", fpm "3,2").
  const features = [...byFeature.keys()].sort();
  const actions = [...new Set([...byFeature.values()].flatMap((s) => [...s]))].sort();
  const masks = features.map((f) => {
    let mask = 0n; // BigInt: the SDK parses fpm as a decimal string of any length
    actions.forEach((a, j) => {
      if (byFeature.get(f)!.has(a)) mask |= 1n << BigInt(j);
    });
    return mask.toString();
  });
  o.per = actions.join(',');
  o.fpm = masks.join(',');
  return { o, fea: features.map((f) => `o:${f}`).join(',') };
}
