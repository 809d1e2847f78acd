/** Scope keys, including a queue within one site (`site:X/queue:Y`, issue 10). */
import { describe, expect, it } from 'vitest';
import { canSeeScope } from './roles.ts';
import { inScope, parseScope, scopeDimension, scopeName, scopeSite, scopesOf, siteQueueKey, siteQueuePrefix } from './scope.ts';

describe('parseScope', () => {
  it('parses the plain forms as before', () => {
    expect(parseScope('centre')).toEqual({ dimension: 'centre' });
    expect(parseScope('site:hz')).toEqual({ dimension: 'site', name: 'hz' });
    expect(parseScope('queue:vip')).toEqual({ dimension: 'queue', name: 'vip' });
    expect(parseScope('team:t1')).toEqual({ dimension: 'team', name: 't1' });
    expect(parseScope('agent:a/1')).toEqual({ dimension: 'agent', name: 'a/1' });
    // Only a site key holds a queue: elsewhere `/queue:` is part of the name.
    expect(parseScope('team:x/queue:y')).toEqual({ dimension: 'team', name: 'x/queue:y' });
  });

  it('parses a queue within a site, naming both', () => {
    expect(parseScope('site:hz/queue:vip')).toEqual({ dimension: 'siteQueue', site: 'hz', queue: 'vip', name: 'vip' });
    expect(parseScope('site:杭州/queue:综合 业务')).toEqual({ dimension: 'siteQueue', site: '杭州', queue: '综合 业务', name: '综合 业务' });
    // The first separator splits: a queue name may itself hold one.
    expect(parseScope('site:hz/queue:a/queue:b')).toMatchObject({ site: 'hz', queue: 'a/queue:b' });
  });

  it('refuses empty or over-long parts and unknown forms', () => {
    for (const bad of ['site:/queue:vip', 'site:hz/queue:', 'site:', 'queue:', 'site', 'region:x', ':x', `site:${'s'.repeat(129)}/queue:q`, `site:hz/queue:${'q'.repeat(129)}`, `site:${'s'.repeat(129)}`]) {
      expect(parseScope(bad), bad).toBeNull();
    }
    expect(parseScope(`site:${'s'.repeat(128)}/queue:${'q'.repeat(128)}`)).toMatchObject({ dimension: 'siteQueue' });
  });
});

describe('scope keys', () => {
  it('tells a site × queue key from a site key', () => {
    expect(scopeDimension('site:hz')).toBe('site');
    expect(scopeDimension('site:hz/queue:vip')).toBe('siteQueue');
    expect(scopeDimension('queue:vip')).toBe('queue');
    expect(scopeDimension('centre')).toBe('centre');
    expect(scopeName('site:hz/queue:vip')).toBe('vip');
    expect(scopeName('site:hz')).toBe('hz');
    expect(scopeSite('site:hz/queue:vip')).toBe('hz');
    expect(scopeSite('site:hz')).toBe('hz');
    expect(scopeSite('queue:vip')).toBeNull();
    expect(siteQueueKey('hz', 'vip')).toBe('site:hz/queue:vip');
    expect(siteQueueKey('hz', 'vip').startsWith(siteQueuePrefix('hz'))).toBe(true);
    // One site's prefix does not take in another whose name starts the same.
    expect(siteQueueKey('hz2', 'vip').startsWith(siteQueuePrefix('hz'))).toBe(false);
  });

  it('counts a contact with site and queue in its site × queue too, once', () => {
    expect(scopesOf({ site: 'hz', queue: 'vip', team: 't1', agentId: 'a1', channel: 'phone' })).toEqual([
      'centre', 'site:hz', 'queue:vip', 'site:hz/queue:vip', 'team:t1', 'agent:a1', 'channel:phone',
    ]);
    expect(scopesOf({ queue: 'vip' })).toEqual(['centre', 'queue:vip']);
    expect(scopesOf({ site: 'hz' })).toEqual(['centre', 'site:hz']);
  });

  it('inScope agrees with scopesOf for every key of a member', () => {
    const members = [{ site: 'hz', queue: 'vip', team: 't1', agentId: 'a1', channel: 'phone' }, { site: 'nb', queue: 'vip' }, { queue: 'vip' }, {}];
    const keys = ['centre', 'site:hz', 'site:nb', 'queue:vip', 'site:hz/queue:vip', 'site:nb/queue:vip', 'site:hz/queue:general', 'team:t1', 'agent:a1', 'channel:phone'];
    for (const member of members) {
      for (const key of keys) expect(inScope(parseScope(key)!, member), `${key} ${JSON.stringify(member)}`).toBe((scopesOf(member) as string[]).includes(key));
    }
  });

  it('a site × queue is an aggregate every role may see', () => {
    expect(canSeeScope('display', 'site:hz/queue:vip')).toBe(true);
    expect(canSeeScope('display', 'site:hz/queue:*')).toBe(true);
    expect(canSeeScope('display', 'team:t1')).toBe(false);
    expect(canSeeScope('manager', 'team:t1')).toBe(true);
  });
});
