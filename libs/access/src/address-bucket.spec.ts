import { addressBucket } from './address-bucket';

describe('addressBucket', () => {
  it('counts an IPv4 address as itself', () => {
    expect(addressBucket('203.0.113.7', 64)).toBe('203.0.113.7');
    expect(addressBucket('203.0.113.8', 64)).not.toBe(addressBucket('203.0.113.7', 64));
  });

  it('counts an IPv4-mapped IPv6 address as its IPv4 address, in either spelling', () => {
    expect(addressBucket('::ffff:203.0.113.7', 64)).toBe('203.0.113.7');
    expect(addressBucket('::FFFF:cb00:7107', 64)).toBe('203.0.113.7');
    expect(addressBucket('0:0:0:0:0:ffff:203.0.113.7', 128)).toBe('203.0.113.7');
  });

  it('puts every address of one /64 into one bucket by default, and other /64s into others', () => {
    const bucket = addressBucket('2001:db8:0:1::1', 64);
    expect(bucket).toBe('20010db800000001/64');
    expect(addressBucket('2001:db8:0:1:ffff:ffff:ffff:ffff', 64)).toBe(bucket);
    expect(addressBucket('2001:db8:0:1:1234:5678:9abc:def0', 64)).toBe(bucket);
    expect(addressBucket('2001:db8:0:2::1', 64)).not.toBe(bucket);
  });

  it('gives one bucket to every spelling of an address: compressed, padded, upper case, with a zone id', () => {
    const spellings = [
      '2001:db8::1',
      '2001:0db8:0000:0000:0000:0000:0000:0001',
      '2001:DB8:0:0::1',
      '2001:db8::1%eth0',
      '2001:db8:0:0:0:0:0:1',
    ];
    for (const prefix of [64, 128, 1, 33]) {
      expect(new Set(spellings.map((address) => addressBucket(address, prefix))).size).toBe(1);
    }
    expect(addressBucket('fe80::1%eth0', 64)).toBe(addressBucket('fe80::2%wlan0', 64));
  });

  it('uses the configured prefix length, masking the bits past it', () => {
    expect(addressBucket('2001:db8:abcd:ef12::1', 48)).toBe('20010db8abcd/48');
    expect(addressBucket('2001:db8:abcd:ef12::1', 50)).toBe('20010db8abcdc/50');
    expect(addressBucket('2001:db8:abcd:ef12::1', 50)).toBe(addressBucket('2001:db8:abcd:ffff::1', 50));
    expect(addressBucket('2001:db8:abcd:ef12::1', 50)).not.toBe(addressBucket('2001:db8:abcd:2f12::1', 50));
    expect(addressBucket('8000::', 1)).toBe('8/1');
    expect(addressBucket('7fff::', 1)).toBe('0/1');
    expect(addressBucket('2001:db8::1', 128)).toBe('20010db8000000000000000000000001/128');
    expect(addressBucket('2001:db8::1', 128)).not.toBe(addressBucket('2001:db8::2', 128));
  });

  it('reads the unspecified address and loopback', () => {
    expect(addressBucket('::', 64)).toBe('0000000000000000/64');
    expect(addressBucket('::1', 128)).toBe('00000000000000000000000000000001/128');
  });

  it('keeps anything that is no address as it is', () => {
    expect(addressBucket('unknown', 64)).toBe('unknown');
  });
});
