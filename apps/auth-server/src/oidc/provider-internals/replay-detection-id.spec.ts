import { replayDetectionId } from './replay-detection-id';
import { PlainProvider, startPlainProvider } from './test-support/plain-provider.fixture';

/** Guards the replay-record seam: fails if an oidc-provider upgrade stores ReplayDetection records under another id. */
describe('replayDetectionId (oidc-provider ReplayDetection seam)', () => {
  let plain: PlainProvider;

  beforeAll(async () => {
    plain = await startPlainProvider();
  });
  afterAll(() => plain.close());

  it("names the row ReplayDetection.unique records, so it can be consumed", async () => {
    const { ReplayDetection } = plain.provider;
    expect(await ReplayDetection.find(replayDetectionId('client-a', 'jti-1'))).toBeUndefined();
    expect(await ReplayDetection.unique('client-a', 'jti-1', Math.floor(Date.now() / 1000) + 60)).toBe(true);
    expect(await ReplayDetection.find(replayDetectionId('client-a', 'jti-1'))).toBeDefined();
    expect(await ReplayDetection.find(replayDetectionId('client-b', 'jti-1'))).toBeUndefined();
    expect(await ReplayDetection.unique('client-a', 'jti-1', Math.floor(Date.now() / 1000) + 60)).toBe(false);
  });
});
