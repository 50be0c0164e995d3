import { DemoStepError } from './demo-step.error';
import { Trace } from './trace';

function recorder() {
  let text = '';
  return { output: { write: (chunk: string) => (text += chunk) }, text: () => text };
}

describe('Trace', () => {
  it('prints a passed expectation and counts it', () => {
    const out = recorder();
    const trace = new Trace(out.output);
    trace.step(1, 'first');
    trace.expect(true, 'it worked');
    expect(out.text()).toBe('\nStep 1 · first\n  ✓ it worked\n');
    expect(trace.passedChecks).toBe(1);
  });

  it('prints a failed expectation with its detail and throws DemoStepError', () => {
    const out = recorder();
    const trace = new Trace(out.output);
    expect(() => trace.expect(false, 'user-service answered 200', 'HTTP 503 {"error":"auth_server_unavailable"}')).toThrow(
      new DemoStepError('user-service answered 200'),
    );
    expect(out.text()).toBe('  ✗ user-service answered 200\n    HTTP 503 {"error":"auth_server_unavailable"}\n');
    expect(trace.passedChecks).toBe(0);
  });

  it('pads table columns to the widest cell', () => {
    const out = recorder();
    new Trace(out.output).table(['claim', 'a', 'b'], [['sub', 'alice', 'alice'], ['aud', 'user-service', 'message-service']]);
    expect(out.text().split('\n')).toEqual([
      '    claim   a              b',
      '    sub     alice          alice',
      '    aud     user-service   message-service',
      '',
    ]);
  });

  it('colours only when asked', () => {
    const plain = recorder();
    new Trace(plain.output, false).answer(401, 'refused');
    expect(plain.text()).toBe('  ← 401 refused\n');
    const coloured = recorder();
    new Trace(coloured.output, true).answer(401, 'refused');
    expect(coloured.text()).toContain('\u001b[33m401\u001b[39m');
  });
});
