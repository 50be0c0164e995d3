/**
 * The defects that adversarial testing found after the attack catalogue (issue 11), each with the
 * test that sends the attack to the real service. docs/security.md lists every one in its
 * "Hardening findings" table; `hardening-findings.spec.ts` fails when the doc misses a finding or
 * when the named test file does not carry the finding's id in a test name.
 */
export interface HardeningFinding {
  /** `H` and two digits: the item's number in issue 11. */
  readonly id: string;
  readonly title: string;
  /** Workspace-relative paths of the spec files whose test names carry `[<id>]`. */
  readonly tests: readonly string[];
}

export const HARDENING_FINDINGS: readonly HardeningFinding[] = [
  // Helpers add their rows here, one per issue-11 item, as they land each fix with its test.
];
