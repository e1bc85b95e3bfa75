import { describe, expect, it } from 'vitest';
import { covers, isCertificateName, uncoveredNames } from '../../../libs/tls';

describe(covers.name, () => {
  it('matches equal names without regard to case or a trailing dot', () => {
    expect(covers('Shop.Example.org.', 'shop.example.org')).toBe(true);
    expect(covers('shop.example.org', 'blog.example.org')).toBe(false);
  });

  it('lets a wildcard cover exactly one more label', () => {
    expect(covers('*.example.org', 'shop.example.org')).toBe(true);
    expect(covers('*.example.org', 'example.org')).toBe(false);
    expect(covers('*.example.org', 'a.shop.example.org')).toBe(false);
    expect(covers('*.example.org', 'shop.example.net')).toBe(false);
  });

  it('refuses wildcards on a single label and partial-label wildcards', () => {
    expect(covers('*.org', 'example.org')).toBe(false);
    expect(covers('s*.example.org', 'shop.example.org')).toBe(false);
    expect(covers('*.*.example.org', 'a.b.example.org')).toBe(false);
  });

  it('covers a requested wildcard only with the same wildcard', () => {
    expect(covers('*.example.org', '*.example.org')).toBe(true);
    expect(covers('shop.example.org', '*.example.org')).toBe(false);
  });
});

describe(uncoveredNames.name, () => {
  it('lists the requested names no certificate name covers, in order', () => {
    expect(
      uncoveredNames(
        ['*.example.org', 'example.net'],
        ['b.example.org', 'example.org', 'example.net', 'x.y.example.org'],
      ),
    ).toEqual(['example.org', 'x.y.example.org']);
  });
});

describe(isCertificateName.name, () => {
  it('takes lower-case DNS names and wildcards of them, nothing else', () => {
    expect(isCertificateName('shop.example.org')).toBe(true);
    expect(isCertificateName('*.example.org')).toBe(true);
    for (const bad of [
      'Shop.example.org',
      'example',
      'shop.example.org.',
      '*.*.example.org',
      'a b.org',
      '',
    ]) {
      expect(isCertificateName(bad), bad).toBe(false);
    }
  });
});
