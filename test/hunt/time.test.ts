import { parseTimeArg } from '../../src/hunt/time';

describe('parseTimeArg', () => {
  const now = Date.UTC(2023, 10, 24, 12, 0, 0);
  it('reads ISO 8601 with and without offset', () => {
    expect(parseTimeArg('2023-11-14T10:00:00Z', now)).toBe(Date.UTC(2023, 10, 14, 10));
    expect(parseTimeArg('2023-11-14', now)).toBe(Date.UTC(2023, 10, 14));
    expect(parseTimeArg('2023-11-14T10:00:00', now, 'America/Los_Angeles')).toBe(Date.UTC(2023, 10, 14, 18));
    expect(parseTimeArg('2023-11-14T10:00:00+02:00', now, 'America/Los_Angeles')).toBe(
      Date.UTC(2023, 10, 14, 8),
    );
  });
  it('reads relative durations back from now', () => {
    expect(parseTimeArg('7d', now)).toBe(now - 7 * 86_400_000);
    expect(parseTimeArg('12h', now)).toBe(now - 12 * 3_600_000);
  });
  it('names the bad text', () => {
    expect(() => parseTimeArg('last tuesday', now)).toThrow(/"last tuesday"/);
  });
});
