import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KNOWN_ENV_VARS } from '../apps/api-keys/src/config/config';
import { KNOWN_ENV_VARS as VERIFIER_ENV_VARS } from '../apps/verifier/src/config/config';
import { SERVICE_NODE_OPTIONS, VERIFIER_MALLOC_ENV, VERIFIER_NODE_OPTIONS } from './lib/prepare';

const root = join(__dirname, '..');

interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, unknown> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: unknown };
}

const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
};
const services = Object.entries(compose.services);
const builtServices = services.filter(([, service]) => service.build !== undefined);

function environmentNames(environment: ComposeService['environment']): string[] {
  if (!environment) return [];
  if (Array.isArray(environment)) return environment.map((entry) => entry.split('=')[0]);
  return Object.keys(environment);
}

// An exact release: 4.4.0, 8.0.12, 20.20.2-bookworm-slim. Not `latest`, not a floating `8` or `8.0`.
const EXACT_TAG = /^\d+\.\d+\.\d+(-[A-Za-z0-9.]+)*$/;

function tagOf(image: string): string | undefined {
  const withoutDigest = image.split('@')[0];
  const lastSegment = withoutDigest.split('/').pop() as string;
  return lastSegment.includes(':') ? lastSegment.split(':').pop() : undefined;
}

describe('docker-compose.yml', () => {
  it('has the service and its verifier built from the Dockerfile next to Kafka and MongoDB', () => {
    expect(builtServices.map(([name]) => name)).toEqual(['api-keys', 'verifier']);
    expect(
      services
        .map(([, s]) => s.image?.split(':')[0])
        .filter(Boolean)
        .sort(),
    ).toEqual(['apache/kafka', 'mongo']);
  });

  it.each(services.filter(([, s]) => s.image).map(([name, s]) => [name, s.image as string]))(
    'pins the %s image to an exact version tag (%s)',
    (_name, image) => {
      expect(tagOf(image)).toMatch(EXACT_TAG);
    },
  );

  it('wires the service and the verifier only with environment variables their configs know', () => {
    // The verifier's runtime settings are the process's, not its config's (checked below).
    const runtime = ['NODE_OPTIONS', ...Object.keys(VERIFIER_MALLOC_ENV)];
    const known: Record<string, readonly string[]> = {
      'api-keys': KNOWN_ENV_VARS,
      verifier: [...VERIFIER_ENV_VARS, ...runtime],
    };
    for (const [name, service] of builtServices) {
      const unknown = environmentNames(service.environment).filter((variable) => !known[name].includes(variable));
      expect(unknown).toEqual([]);
    }
  });

  it('has the service and the verifier listen on every interface of their container (HOST), or the published port would not reach them', () => {
    for (const [, service] of builtServices) {
      const environment = service.environment as Record<string, unknown>;
      expect(environment.HOST).toBe('0.0.0.0');
    }
  });

  it('runs the verifier from the same image, only once Kafka is healthy, with its token required', () => {
    const verifier = compose.services.verifier as ComposeService & { command?: string[] };
    expect(verifier.command).toEqual(['node', 'dist/apps/verifier/src/main.js']);
    expect(Object.keys(verifier.depends_on as object)).toEqual(['kafka']);
    expect(String((verifier.environment as Record<string, unknown>).VERIFIER_TOKEN)).toMatch(/^\$\{VERIFIER_TOKEN:\?/);
  });

  it('runs the verifier with the runtime settings npm start gives it (NODE_OPTIONS, glibc allocator)', () => {
    const environment = compose.services.verifier.environment as Record<string, unknown>;
    expect(environment.NODE_OPTIONS).toBe(VERIFIER_NODE_OPTIONS);
    for (const [name, value] of Object.entries(VERIFIER_MALLOC_ENV)) expect(String(environment[name])).toBe(value);
  });

  it('starts the service only once Kafka and MongoDB are healthy', () => {
    const [, service] = builtServices[0];
    const dependsOn = service.depends_on as Record<string, { condition?: string }>;

    expect(Object.keys(dependsOn).sort()).toEqual(['kafka', 'mongo']);
    for (const [name, dependency] of Object.entries(dependsOn)) {
      expect(dependency.condition).toBe('service_healthy');
      expect(compose.services[name].healthcheck?.test).toBeDefined();
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const baseImages = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((match) => match[1]);

  it('pins every base image to an exact version tag', () => {
    expect(baseImages.length).toBeGreaterThan(0);
    for (const image of baseImages) expect(tagOf(image)).toMatch(EXACT_TAG);
  });

  it('runs the built service as a non-root user', () => {
    const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

    expect(finalStage).toMatch(/^USER\s+(?!root\b|0\b)\S+/m);
    expect(finalStage).toMatch(/CMD \["node", "dist\/apps\/api-keys\/src\/main\.js"\]/);
  });

  it('builds the verifier into the same image', () => {
    expect(dockerfile).toMatch(/npx nest build api-keys \\\n && npx nest build verifier/);
  });

  it('has the service listen on every interface of its container (HOST)', () => {
    const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(finalStage).toMatch(/^ENV HOST=0\.0\.0\.0$/m);
  });

  it('runs it with the same V8 limits as npm start', () => {
    const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(finalStage).toContain(`ENV NODE_OPTIONS="${SERVICE_NODE_OPTIONS}"`);
  });
});
