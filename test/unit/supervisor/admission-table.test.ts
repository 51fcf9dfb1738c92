/**
 * What the shared admission table adds to AdmissionController's rules (those are checked for both
 * in admission.test.ts): counts summed over the processes' columns, a dead process's column
 * forgotten whole, the same table seen through a second mapping, and an address table that stays
 * exact however its entries come and go.
 */
import { describe, expect, it } from 'vitest';
import { nativeAddon } from '../../../shared/native/addon.js';
import { AdmissionTable, type AdmissionTableLimits } from '../../../shared/native/admission-table.js';

const roomy: AdmissionTableLimits = { maxSessions: 100, maxPerIp: 100, ratePerSecond: 1e6, burst: 1e6 };

function table(limits: Partial<AdmissionTableLimits>, columns = 3): AdmissionTable {
  return AdmissionTable.create([{ ...roomy, ...limits }], columns, 0) as AdmissionTable;
}

describe.skipIf(!nativeAddon())('AdmissionTable', () => {
  it('sums sessions over every column against maxSessions', () => {
    const shared = table({ maxSessions: 3 });
    expect([
      shared.admit(0, 0, '10.0.0.1', 0),
      shared.admit(0, 1, '10.0.0.2', 0),
      shared.admit(0, 2, '10.0.0.3', 0),
    ]).toEqual(['admitted', 'admitted', 'admitted']);
    expect(shared.admit(0, 0, '10.0.0.4', 0)).toBe('max-sessions');
    expect(shared.release(0, 1, '10.0.0.2')).toBe(true);
    expect(shared.admit(0, 0, '10.0.0.4', 0)).toBe('admitted');
    expect(shared.active(0)).toBe(3);
  });

  it('sums one address over every column against maxPerIp', () => {
    const shared = table({ maxPerIp: 2 });
    expect(shared.admit(0, 0, '10.0.0.1', 0)).toBe('admitted');
    expect(shared.admit(0, 1, '10.0.0.1', 0)).toBe('admitted');
    expect(shared.admit(0, 2, '10.0.0.1', 0)).toBe('max-per-ip');
    expect(shared.admit(0, 2, '10.0.0.2', 0)).toBe('admitted');
  });

  it('releases only what the column counted', () => {
    const shared = table({});
    shared.admit(0, 0, '10.0.0.1', 0);
    // Column 1 never admitted it: nothing there to release, and column 0 keeps its count.
    expect(shared.release(0, 1, '10.0.0.1')).toBe(true);
    expect(shared.active(0)).toBe(1);
    expect(shared.release(0, 0, '10.0.0.1')).toBe(true);
    expect(shared.active(0)).toBe(0);
  });

  it('forgets a reclaimed column and nothing else', () => {
    const shared = table({ maxPerIp: 2 });
    shared.admit(0, 0, '10.0.0.1', 0);
    shared.admit(0, 1, '10.0.0.1', 0);
    shared.admit(0, 1, '10.0.0.9', 0);
    expect(shared.reclaim(1)).toBe(true);
    expect(shared.active(0)).toBe(1);
    expect(shared.admit(0, 1, '10.0.0.1', 0)).toBe('admitted'); // 10.0.0.1 is down to column 0's one
    expect(shared.admit(0, 2, '10.0.0.1', 0)).toBe('max-per-ip');
  });

  it('shares one bucket of connections per second between the columns', () => {
    const shared = table({ ratePerSecond: 2, burst: 2 });
    expect([shared.admit(0, 0, 'a', 0), shared.admit(0, 1, 'b', 0), shared.admit(0, 2, 'c', 0)]).toEqual([
      'admitted',
      'admitted',
      'rate',
    ]);
    expect(shared.admit(0, 2, 'c', 500)).toBe('admitted');
  });

  it('is the same table through a second mapping of its path', () => {
    const created = table({ maxSessions: 2 });
    const opened = AdmissionTable.open(created.path as string) as AdmissionTable;
    expect(opened.admit(0, 1, '10.0.0.1', 0)).toBe('admitted');
    expect(created.admit(0, 0, '10.0.0.2', 0)).toBe('admitted');
    expect(opened.admit(0, 1, '10.0.0.3', 0)).toBe('max-sessions');
    expect(created.active(0)).toBe(2);
  });

  it('refuses to map something that is not a table', () => {
    expect(() => AdmissionTable.open('/proc/self/cmdline')).toThrow();
    expect(() => AdmissionTable.open('/nonexistent/classicd-table')).toThrow(/No such file/);
  });

  it('keeps every address exact while many come and go in one column', () => {
    // 16 slots for 8 sessions: probe runs wrap and overlap, and removals move entries back.
    const shared = table({ maxSessions: 8, maxPerIp: 1 }, 1);
    const addresses = Array.from({ length: 40 }, (_, i) => `2001:db8::${i.toString(16)}`);
    const present = new Set<string>();
    let seed = 7;
    const next = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) % n;
    for (let step = 0; step < 2000; step++) {
      const address = addresses[next(addresses.length)] as string;
      if (present.has(address)) {
        expect(shared.admit(0, 0, address, 0)).toBe(present.size < 8 ? 'max-per-ip' : 'max-sessions');
        expect(shared.release(0, 0, address)).toBe(true);
        present.delete(address);
      } else {
        expect(shared.admit(0, 0, address, 0)).toBe(present.size < 8 ? 'admitted' : 'max-sessions');
        if (present.size < 8) present.add(address);
      }
      expect(shared.active(0)).toBe(present.size);
    }
  });

  it('takes the longest address Node gives, a link-local one with its zone, and refuses longer without throwing', () => {
    const shared = table({ maxPerIp: 1 });
    const longest = 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255%interface-name1'; // 45 + 1 + 15
    expect(shared.admit(0, 0, longest, 0)).toBe('admitted');
    expect(shared.admit(0, 1, longest, 0)).toBe('max-per-ip');
    expect(shared.admit(0, 1, `${longest}xx`, 0)).toBe('admitted'); // 63 bytes: still fits
    expect(shared.admit(0, 0, `${longest}xxx`, 0)).toBe('unavailable');
    expect(shared.release(0, 0, `${longest}xxx`)).toBe(true); // never counted: nothing to release
    expect(shared.release(0, 0, longest)).toBe(true);
  });

  it('refuses a new address rather than fill a column, and still releases from a nearly full one', () => {
    // 100,000 sessions would want 200,000 slots; a column has 65,536, so holds 65,535 addresses.
    const shared = table({ maxSessions: 100_000, maxPerIp: 1 }, 1);
    const address = (i: number): string => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`;
    for (let i = 0; i < 65_535; i++) {
      if (shared.admit(0, 0, address(i), 0) !== 'admitted') throw new Error(`${address(i)} refused`);
    }
    expect(shared.admit(0, 0, address(65_535), 0)).toBe('max-sessions');
    expect(shared.admit(0, 0, address(7), 0)).toBe('max-per-ip');
    // A removal in a column with one empty slot left ends (it once looped for ever), and frees room.
    expect(shared.release(0, 0, address(7))).toBe(true);
    expect(shared.admit(0, 0, address(65_535), 0)).toBe('admitted');
    expect(shared.active(0)).toBe(65_535);
  });

  it('holds 256 workers and the primary (257 columns) and 32 services, and no more', () => {
    expect(table({}, 257).admit(0, 256, 'a', 0)).toBe('admitted');
    expect(() => table({}, 258)).toThrow(/admission table size/);
    const services = (n: number): AdmissionTableLimits[] => Array.from({ length: n }, () => roomy);
    expect(AdmissionTable.create(services(32), 1, 0)?.admit(31, 0, 'a', 0)).toBe('admitted');
    expect(() => AdmissionTable.create(services(33), 1, 0)).toThrow(TypeError);
  });

  it('rejects a service or column out of range', () => {
    const shared = table({}, 2);
    expect(shared.admit(1, 0, 'a', 0)).toBe('unavailable');
    expect(shared.admit(0, 2, 'a', 0)).toBe('unavailable');
    expect(shared.reclaim(2)).toBe(false);
  });
});
