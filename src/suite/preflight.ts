import { send } from '../http/send.js';
import type { RunPlan } from './plan.js';

/**
 * Before 70 tests fail one by one: can the target be reached at all? Any HTTP answer is fine;
 * refused, DNS, TLS and timeouts become one clear HarnessError (exit 2).
 */
export async function preflight(plan: Pick<RunPlan, 'suite' | 'targetUrl'>): Promise<void> {
  const first = plan.suite.endpoints[0];
  const url = new URL(first.path, plan.targetUrl.endsWith('/') ? plan.targetUrl : `${plan.targetUrl}/`).href;
  await send(url, { method: first.method === 'GET' || first.method === 'HEAD' ? first.method : 'OPTIONS', headers: { accept: 'application/json' }, timeoutMs: plan.suite.timeoutMs });
}
