import { SingleFlight } from './single-flight';

describe('SingleFlight', () => {
  it('runs the work once for concurrent calls with one key and gives all the same result', async () => {
    const flights = new SingleFlight<number>();
    let runs = 0;
    let release!: (value: number) => void;
    const work = () => {
      runs += 1;
      return new Promise<number>((resolve) => (release = resolve));
    };
    const calls = Array.from({ length: 10 }, () => flights.run('k', work));
    await Promise.resolve();
    release(42);
    expect(await Promise.all(calls.map((call) => call.promise))).toEqual(Array(10).fill(42));
    expect(runs).toBe(1);
    expect(calls.filter((call) => call.joined)).toHaveLength(9);
    expect(flights.size).toBe(0);
  });

  it('shares an error with every caller and forgets it afterwards', async () => {
    const flights = new SingleFlight<number>();
    const failing = flights.run('k', async () => {
      throw new Error('boom');
    });
    const joined = flights.run('k', async () => 1);
    await expect(failing.promise).rejects.toThrow('boom');
    await expect(joined.promise).rejects.toThrow('boom');
    expect(flights.size).toBe(0);
    await expect(flights.run('k', async () => 7).promise).resolves.toBe(7);
  });

  it('keeps different keys apart', async () => {
    const flights = new SingleFlight<string>();
    const a = flights.run('a', async () => 'a');
    const b = flights.run('b', async () => 'b');
    expect(b.joined).toBe(false);
    expect(await Promise.all([a.promise, b.promise])).toEqual(['a', 'b']);
  });

  it('settles a synchronous throw through the promise and cleans up', async () => {
    const flights = new SingleFlight<number>();
    const call = flights.run('k', () => {
      throw new Error('sync');
    });
    await expect(call.promise).rejects.toThrow('sync');
    expect(flights.size).toBe(0);
  });
});
