import { describe, expect, it } from 'vitest';
import { dropPrivileges } from '../../../shared/supervisor/privileges.js';

// Only the paths that change nothing: a successful drop would change this test process's user.
describe('dropPrivileges', () => {
  it('does nothing for an empty user', () => {
    expect(dropPrivileges('', '')).toBeUndefined();
  });

  it('names the key and the missing user or group', () => {
    expect(() => dropPrivileges('no-such-user-here', '')).toThrow(/supervisor\.user: no user no-such-user-here/);
    expect(() => dropPrivileges('nobody', 'no-such-group-here')).toThrow(
      /supervisor\.group: no group no-such-group-here/,
    );
  });
});
