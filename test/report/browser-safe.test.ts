/** The report renderers run in the demo too: no Node built-ins outside the *-node.ts writer. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = join(import.meta.dirname, '../../src/report');
const shared = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('-node.ts'));

describe('browser-safe report modules', () => {
  it.each(shared)('%s uses no Node-only APIs or modules', (file) => {
    const src = readFileSync(join(dir, file), 'utf8');
    expect(src).not.toMatch(/from '(node:|fs|path|zlib|os)|\bprocess\.|\bBuffer\b|require\(/);
    expect(src).not.toMatch(/from '[^']*-node'/);
  });
});
