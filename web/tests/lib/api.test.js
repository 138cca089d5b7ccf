// The API client's requests: a fresh race card asks the server for it (fresh=1).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getRacecard } from '../../src/lib/api.js';

describe('race card requests', () => {
  afterEach(() => vi.unstubAllGlobals());
  it('asks for a fresh card only when told to', async () => {
    const urls = [];
    vi.stubGlobal('fetch', async (url) => {
      urls.push(url);
      return { ok: true, status: 200, json: async () => ({ race: { race_id: 7 } }) };
    });
    await getRacecard(7);
    await getRacecard(7, { fresh: true });
    await getRacecard(7, { fresh: false });
    expect(urls).toEqual(['/api/racing/racecard?race_id=7', '/api/racing/racecard?race_id=7&fresh=1', '/api/racing/racecard?race_id=7']);
  });
});
