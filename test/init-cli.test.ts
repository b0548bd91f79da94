/**
 * `clerk-harness init`, in-process as a user runs it in an empty project folder: the starter suite,
 * no overwrite without --force, and suites generated from OpenAPI documents (a FastAPI-style 3.1
 * JSON file, an Express + swagger 3.0 YAML document served over HTTP on loopback).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callMain } from './helpers/main-in-process.js';
import { loadSuite } from '../src/suite/load.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/openapi/', import.meta.url));

function call(argv: string[], cwd: string) {
  return callMain(argv, { cwd });
}

const project = () => mkdtempSync(path.join(tmpdir(), 'init-'));

describe('init: the starter suite', () => {
  it('writes a suite and its body that load, and prints the next two commands', async () => {
    const cwd = project();
    const r = await call(['init'], cwd);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('wrote suites/my-api.yaml, suites/bodies/create-job.json');
    const next = r.stdout.split('Next:\n')[1]!.split('\n').filter((l) => l.trim().startsWith('npx '));
    expect(next).toHaveLength(2);
    expect(next[0]).toMatch(/^ {2}npx clerk-harness run --suite suites\/my-api\.yaml --list/);
    expect(next[1]).toMatch(/^ {2}npx clerk-harness run --suite suites\/my-api\.yaml --embedded/);
    // The body path is relative to the suite, so the copy works wherever the project is.
    const suite = loadSuite('suites/my-api.yaml', { cwd });
    expect(suite.endpoints).toMatchObject([{ name: 'create job', method: 'POST', path: '/jobs', acceptedStatus: [201] }]);
    expect(suite.endpoints[0]!.bodyFile).toBe(path.join(cwd, 'suites', 'bodies', 'create-job.json'));
    expect(JSON.parse(readFileSync(suite.endpoints[0]!.bodyFile!, 'utf8'))).toHaveProperty('name');
    expect(readFileSync(path.join(cwd, 'suites', 'my-api.yaml'), 'utf8')).toMatch(/^# yaml-language-server: \$schema=.*suites\/suite\.schema\.json\n/);
  });

  it('never overwrites without --force, and says which files are in the way', async () => {
    const cwd = project();
    expect((await call(['init'], cwd)).code).toBe(0);
    const file = path.join(cwd, 'suites', 'my-api.yaml');
    writeFileSync(file, 'name: mine\n');
    const again = await call(['init'], cwd);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(
      'clerk-harness init: suites/my-api.yaml, suites/bodies/create-job.json already exist; nothing was written\n  fix: add --force to overwrite, or --suite with another path\n',
    );
    expect(readFileSync(file, 'utf8')).toBe('name: mine\n');
    const forced = await call(['init', '--force', '--name', 'billing API'], cwd);
    expect(forced.code).toBe(0);
    expect(loadSuite(file, { cwd }).name).toBe('billing API');
  });

  it('takes --suite for another place; bodies go next to it', async () => {
    const cwd = project();
    const r = await call(['init', '--suite', 'auth/api.yml'], cwd);
    expect(r.code).toBe(0);
    expect(existsSync(path.join(cwd, 'auth', 'bodies', 'create-job.json'))).toBe(true);
    expect(loadSuite('auth/api.yml', { cwd }).endpoints[0]!.bodyFile).toBe(path.join(cwd, 'auth', 'bodies', 'create-job.json'));
    expect((await call(['init', '--suite', 'auth/api.txt'], cwd)).stderr).toMatch(/must end in \.yaml, \.yml or \.json/);
  });
});

describe('init --openapi', () => {
  it('FastAPI 3.1 JSON: protected operations become endpoints with sampled bodies; public ones and unfillable paths are comments', async () => {
    const cwd = project();
    const r = await call(['init', '--openapi', path.join(FIXTURES, 'fastapi-3.1.json')], cwd);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('3 protected operations as endpoints, 1 commented out with a TODO (a value only you know), 1 public listed as comments');
    const suite = loadSuite('suites/my-api.yaml', { cwd });
    expect(suite.name).toBe('Jobs API (FastAPI)');
    expect(suite.baseUrl).toBeUndefined(); // no absolute server: TARGET_URL / --target
    expect(suite.endpoints.map((e) => [e.name, e.method, e.path, e.acceptedStatus])).toEqual([
      ['list jobs', 'GET', '/jobs', [200]],
      ['create job', 'POST', '/jobs', [201]],
      ['cancel job', 'POST', '/jobs/job_demo/cancel', [202]], // {job_id} from the schema's examples
    ]);
    const body = JSON.parse(readFileSync(suite.endpoints[1]!.bodyFile!, 'utf8'));
    expect(body).toMatchObject({ priority: 3 }); // the default, within 1..5
    expect(suite.endpoints[1]!.bodyFile).toBe(path.join(cwd, 'suites', 'bodies', 'create-job-jobs-post.json'));
    const text = readFileSync(path.join(cwd, 'suites', 'my-api.yaml'), 'utf8');
    expect(text).toContain('#   GET /health');
    expect(text).toMatch(/# - GET \/jobs\/\{job_id\}: TODO: path parameter \{job_id\} has no example/);
    expect(text).toContain('audit: false');
  });

  it('Express + swagger 3.0 YAML over HTTP: global security, security: [] opt-out, base path, required query and header', async () => {
    const yamlText = readFileSync(path.join(FIXTURES, 'express-swagger-3.0.yaml'), 'utf8');
    const server: Server = createServer((req, res) => {
      if (req.url === '/api-docs/openapi.yaml') res.writeHead(200, { 'content-type': 'application/yaml' }).end(yamlText);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const cwd = project();
      const r = await call(['init', '--openapi', `${origin}/api-docs/openapi.yaml`], cwd);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      // The spec came from the API itself: its origin is the target.
      expect(r.stdout).toContain(`npx clerk-harness run --suite suites/my-api.yaml --target ${origin}`);
      const suite = loadSuite('suites/my-api.yaml', { cwd });
      expect(suite.baseUrl).toBe(origin);
      expect(suite.endpoints.map((e) => [e.name, e.method, e.path, e.acceptedStatus])).toEqual([
        ['list projects', 'GET', '/api/v1/projects?owner=me', [200]],
        ['create project', 'POST', '/api/v1/projects', [201]],
        ['update project', 'PUT', '/api/v1/projects/prj_123', [200, 204]],
      ]);
      expect(JSON.parse(readFileSync(suite.endpoints[1]!.bodyFile!, 'utf8'))).toEqual({ name: 'Apollo', visibility: 'private', tags: ['string'] });
      const text = readFileSync(path.join(cwd, 'suites', 'my-api.yaml'), 'utf8');
      expect(text).toMatch(/# - DELETE \/projects\/\{projectId\}: TODO: required header X-Confirm/);
      expect(text).toMatch(/# - POST \/uploads: TODO: request body of type multipart\/form-data/);
      expect(text).toContain('#   GET /health');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a document it cannot use is one clear error and writes nothing', async () => {
    const cwd = project();
    const missing = await call(['init', '--openapi', 'nope.json'], cwd);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^clerk-harness init: --openapi nope\.json does not exist\n/);
    writeFileSync(path.join(cwd, 'swagger2.json'), JSON.stringify({ swagger: '2.0', info: { title: 'x', version: '1' }, paths: {} }));
    const old = await call(['init', '--openapi', 'swagger2.json'], cwd);
    expect(old.code).toBe(2);
    expect(old.stderr).toMatch(/OpenAPI|swagger/i);
    writeFileSync(path.join(cwd, 'open.json'), JSON.stringify({ openapi: '3.1.0', info: { title: 'x', version: '1' }, paths: { '/a': { get: { responses: { 200: { description: 'ok' } } } } } }));
    const none = await call(['init', '--openapi', 'open.json'], cwd);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/has no protected operation the harness can call \(no operation has a security requirement\); nothing was written/);
    expect(existsSync(path.join(cwd, 'suites'))).toBe(false);
    expect(missing.stderr + old.stderr + none.stderr).not.toMatch(/\n\s+at /);
  });
});
