import { signV4 } from './aws-sigv4';

describe('AWS Signature Version 4', () => {
  // The worked example of AWS's SigV4 documentation (IAM ListUsers, 2015-08-30T12:36:00Z, AKIDEXAMPLE).
  const example = signV4({
    method: 'GET',
    url: new URL('https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08'),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: '',
    region: 'us-east-1',
    service: 'iam',
    accessKeyId: 'AKIDEXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    date: new Date('2015-08-30T12:36:00Z'),
  });

  it('builds the documented canonical request and string to sign', () => {
    expect(example.canonicalRequest).toBe(
      [
        'GET',
        '/',
        'Action=ListUsers&Version=2010-05-08',
        'content-type:application/x-www-form-urlencoded; charset=utf-8',
        'host:iam.amazonaws.com',
        'x-amz-date:20150830T123600Z',
        '',
        'content-type;host;x-amz-date',
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      ].join('\n'),
    );
    expect(example.stringToSign).toBe(
      [
        'AWS4-HMAC-SHA256',
        '20150830T123600Z',
        '20150830/us-east-1/iam/aws4_request',
        'f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59',
      ].join('\n'),
    );
  });

  it('arrives at the documented signature and Authorization header', () => {
    expect(example.signature).toBe('5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7');
    expect(example.headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, ' +
        'SignedHeaders=content-type;host;x-amz-date, ' +
        'Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    );
  });

  it('encodes paths and sorts query parameters canonically', () => {
    const signed = signV4({
      method: 'post',
      url: new URL('http://127.0.0.1:9999/v2/email/a b*?z=1&a=2&a=1'),
      headers: {},
      body: '{}',
      region: 'eu-west-1',
      service: 'ses',
      accessKeyId: 'AK',
      secretAccessKey: 'SK',
      date: new Date('2024-01-02T03:04:05.678Z'),
    });
    const [method, uri, query] = signed.canonicalRequest.split('\n');
    expect([method, uri, query]).toEqual(['POST', '/v2/email/a%2520b%2A', 'a=1&a=2&z=1']);
    expect(signed.headers['x-amz-date']).toBe('20240102T030405Z');
    expect(signed.headers.host).toBe('127.0.0.1:9999');
  });
});
