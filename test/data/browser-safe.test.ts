/** The shared data modules must run in the browser too: no Node built-ins outside the *-node.ts edges. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = join(import.meta.dirname, '../../src/data');
const shared = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('-node.ts'));

describe('browser-safe data modules', () => {
  it.each(shared)('%s uses no Node-only APIs or modules', (file) => {
    const src = readFileSync(join(dir, file), 'utf8');
    expect(src).not.toMatch(/from '(node:|fs|path|zlib|os)|\bprocess\.|\bBuffer\b|require\(/);
    expect(src).not.toMatch(/from '\.\/[^']*-node'/);
  });
});
