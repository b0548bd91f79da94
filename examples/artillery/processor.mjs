// The Artillery processor: a fresh Clerk session token on every request (see README.md here).
// Inside the clerk-harness checkout this resolves to the package itself; elsewhere, install
// clerk-harness next to the scenario (`npm install clerk-harness`).
export { setClerkToken, stopClerkTokens } from 'clerk-harness/artillery';
