import { keepWarmAfterIdle, MEMORY_REDUCER_FAVORS_MEMORY } from './release-startup-memory';

describe('keepWarmAfterIdle', () => {
  it("turns V8's memory-reducing collections off when nothing on the command line asks for them", () => {
    expect(keepWarmAfterIdle(['--enable-source-maps'])).toBe(true);
  });

  it('leaves them on when the operator started Node with --memory-reducer-favors-memory (either spelling)', () => {
    expect(keepWarmAfterIdle([MEMORY_REDUCER_FAVORS_MEMORY])).toBe(false);
    expect(keepWarmAfterIdle(['--memory_reducer_favors_memory'])).toBe(false);
  });

  it('reads the running process by default', () => {
    expect(keepWarmAfterIdle()).toBe(!process.execArgv.includes(MEMORY_REDUCER_FAVORS_MEMORY));
  });
});
