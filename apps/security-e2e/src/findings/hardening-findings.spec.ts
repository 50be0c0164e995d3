import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { workspaceRoot } from '@baton/testing';
import { HARDENING_FINDINGS } from './hardening-findings';

/** Issue 11's sixteen items: every one has a register entry, a doc row and a test that names it. */
const EXPECTED_IDS = Array.from({ length: 16 }, (_, index) => `H${String(index + 1).padStart(2, '0')}`);

describe('hardening findings register', () => {
  const doc = readFileSync(join(workspaceRoot(), 'docs', 'security.md'), 'utf8');

  it('has one entry per finding, in order, with unique ids', () => {
    expect(HARDENING_FINDINGS.map((finding) => finding.id)).toEqual(EXPECTED_IDS);
  });

  it('lists every finding in docs/security.md', () => {
    expect(HARDENING_FINDINGS.filter((finding) => !doc.includes(`| ${finding.id} |`)).map((finding) => finding.id)).toEqual([]);
  });

  it.each(HARDENING_FINDINGS.map((finding) => [finding.id, finding] as const))('%s has a test that names it', (id, finding) => {
    expect(finding.tests.length).toBeGreaterThan(0);
    for (const path of finding.tests) {
      const file = join(workspaceRoot(), path);
      expect({ path, exists: existsSync(file) }).toEqual({ path, exists: true });
      expect({ path, namesFinding: readFileSync(file, 'utf8').includes(`[${id}]`) }).toEqual({ path, namesFinding: true });
    }
  });
});
