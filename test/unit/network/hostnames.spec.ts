import { describe, expect, it } from 'vitest';
import { type HostnamePattern, parseHostnamePattern } from '../../../libs/network/hostnames';

/** A pattern the test knows to be valid; fails the test loudly otherwise. */
function pattern(text: string): HostnamePattern {
  const parsed = parseHostnamePattern(text);
  if (typeof parsed === 'string') throw new Error(`${text} was refused: ${parsed}`);
  return parsed;
}

describe(parseHostnamePattern.name, () => {
  describe('web-{n}', () => {
    const web = pattern('web-{n}');

    it('keeps the text it was made from', () => {
      expect(web.text).toBe('web-{n}');
    });

    it('renders the number without padding', () => {
      expect(web.render(7)).toBe('web-7');
      expect(web.render(1234)).toBe('web-1234');
    });

    it('reads back the number of a name it renders', () => {
      expect(web.numberOf('web-7')).toBe(7);
      expect(web.numberOf('web-10')).toBe(10);
      for (const n of [1, 9, 10, 99, 100, 65_536, Number.MAX_SAFE_INTEGER]) {
        expect(web.numberOf(web.render(n))).toBe(n);
      }
    });

    it.each([
      ['a leading zero', 'web-07'],
      ['zero', 'web-0'],
      ['no number', 'web-'],
      ['a negative number', 'web--7'],
      ['an exponent', 'web-1e3'],
      ['a fraction', 'web-1.5'],
      ['a letter after the number', 'web-7x'],
      ['a domain after the name', 'web-7.example.org'],
      ['a letter before the prefix', 'xweb-7'],
      ['upper case', 'WEB-7'],
      ['a space', 'web-7 '],
      ['a number past the safe integers', 'web-9007199254740993'],
      ['the pattern itself', 'web-{n}'],
    ])('makes nothing of %s: %j', (_, label) => {
      expect(web.numberOf(label)).toBeUndefined();
    });
  });

  describe('mws-{n:5}', () => {
    const mws = pattern('mws-{n:5}');

    it('pads the number to five digits', () => {
      expect(mws.render(42)).toBe('mws-00042');
      expect(mws.render(1)).toBe('mws-00001');
      expect(mws.render(99_999)).toBe('mws-99999');
    });

    it('lets a number longer than the width grow', () => {
      expect(mws.render(123_456)).toBe('mws-123456');
      expect(mws.numberOf('mws-123456')).toBe(123_456);
    });

    it('reads back only the padded form', () => {
      expect(mws.numberOf('mws-00042')).toBe(42);
      expect(mws.numberOf('mws-42')).toBeUndefined();
      expect(mws.numberOf('mws-000042')).toBeUndefined();
      expect(mws.numberOf('mws-00000')).toBeUndefined();
      expect(mws.numberOf('mws-012345')).toBeUndefined();
    });
  });

  it('reads the number between a prefix and a suffix', () => {
    const london = pattern('web{n}-lon');
    expect(london.render(3)).toBe('web3-lon');
    expect(london.numberOf('web3-lon')).toBe(3);
    expect(london.numberOf('web3')).toBeUndefined();
  });

  it('tells the number from a suffix that starts with a digit', () => {
    const rack = pattern('a{n:2}1b');
    expect(rack.render(3)).toBe('a031b');
    expect(rack.numberOf('a031b')).toBe(3);
    expect(rack.render(31)).toBe('a311b');
    expect(rack.numberOf('a311b')).toBe(31);
    expect(rack.numberOf('a31b')).toBeUndefined();
  });

  it('accepts the longest prefix that leaves room for sixteen digits', () => {
    expect(typeof parseHostnamePattern(`${'a'.repeat(47)}{n}`)).toBe('object');
    expect(parseHostnamePattern(`${'a'.repeat(48)}{n}`)).toMatch(/no room for the number/);
  });

  it.each([
    ['no placeholder', 'web'],
    ['two placeholders', 'web-{n}-{n}'],
    ['upper case', 'Web-{n}'],
    ['an upper-case placeholder', 'web-{N}'],
    ['another placeholder name', 'web-{m}'],
    ['a dot', 'web.{n}'],
    ['a domain after the label', 'web-{n}.example.org'],
    ['an underscore', 'web_{n}'],
    ['a space', ' web-{n}'],
    ['a non-ASCII letter', 'wéb-{n}'],
    ['an unclosed placeholder', 'web-{n'],
    ['a width of zero', 'web-{n:0}'],
    ['a width of two digits', 'web-{n:10}'],
    ['an empty width', 'web-{n:}'],
    ['the empty string', ''],
  ])('refuses a pattern with %s: %j', (_, text) => {
    expect(parseHostnamePattern(text)).toMatch(/one lower-case DNS label with a single \{n\}/);
  });

  it.each([
    ['a digit', '1web-{n}'],
    ['the placeholder', '{n}-web'],
    ['nothing but the placeholder', '{n:3}'],
    ['a hyphen', '-web-{n}'],
  ])('refuses a pattern that starts with %s: %j', (_, text) => {
    expect(parseHostnamePattern(text)).toMatch(/must start with a letter/);
  });

  it.each(['web-{n}-', 'web{n}-lon-'])('refuses %j, which ends with a hyphen', (text) => {
    expect(parseHostnamePattern(text)).toMatch(/must not end with a hyphen/);
  });
});
