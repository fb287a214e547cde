import { classifySmtpError, senderDomain, smtpTarget } from './smtp';

const err = (fields: Record<string, unknown>) => Object.assign(new Error('x'), fields);

describe('what an SMTP failure means for the email', () => {
  it('a 5xx refusal is permanent; a 4xx, or 503 (wrong session state), is worth retrying', () => {
    expect(classifySmtpError(err({ code: 'EENVELOPE', responseCode: 550, permanent: true }), false)).toBe('permanent');
    expect(classifySmtpError(err({ code: 'EMESSAGE', responseCode: 552 }), true)).toBe('permanent');
    expect(classifySmtpError(err({ code: 'EENVELOPE', responseCode: 451, permanent: false }), false)).toBe('transient');
    expect(classifySmtpError(err({ code: 'EPROTOCOL', responseCode: 503 }), false)).toBe('transient');
  });

  it('an unusable address is permanent; bad credentials or TLS set-up are ours to fix, so they retry', () => {
    expect(classifySmtpError(err({ code: 'EENVELOPE' }), false)).toBe('permanent');
    expect(classifySmtpError(err({ code: 'EAUTH', responseCode: 535 }), false)).toBe('transient');
    expect(classifySmtpError(err({ code: 'ETLS' }), false)).toBe('transient');
  });

  it('a broken connection retries, unless the message had been handed over (end-of-data maybe sent): then delivery is unknown', () => {
    expect(classifySmtpError(err({ code: 'ESOCKET', originalCode: 'ECONNREFUSED' }), false)).toBe('transient');
    expect(classifySmtpError(err({ code: 'ETIMEDOUT' }), false)).toBe('transient');
    expect(classifySmtpError(err({ code: 'ECONNECTION' }), true)).toBe('unknown');
    expect(classifySmtpError(err({ code: 'ETIMEDOUT' }), true)).toBe('unknown');
  });

  it('names Message-IDs after the sender domain', () => {
    expect(senderDomain('Corner Shop <orders@Shop.Example>')).toBe('shop.example');
    expect(senderDomain('orders@shop.example')).toBe('shop.example');
  });
});

describe('SMTP_URL as connection options', () => {
  const timeouts = { connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 15_000 };

  it('smtp:// talks plain (STARTTLS when offered) on 587 unless a port is given; no credentials, no login', () => {
    expect(smtpTarget('smtp://127.0.0.1:1025', 15_000)).toEqual({ options: { host: '127.0.0.1', port: 1025, secure: false, ...timeouts, logger: false } });
    expect(smtpTarget('smtp://mail.example.net', 15_000).options).toMatchObject({ host: 'mail.example.net', port: 587, secure: false });
  });

  it('smtps:// is TLS from the start, on 465 unless a port is given; credentials are percent-decoded', () => {
    const target = smtpTarget('smtps://api%40shop:p%3Ass%2Fw@smtp.example.net', 2_000);
    expect(target.options).toMatchObject({ host: 'smtp.example.net', port: 465, secure: true, connectionTimeout: 2_000, greetingTimeout: 2_000, socketTimeout: 2_000 });
    expect(target.auth).toEqual({ user: 'api@shop', pass: 'p:ss/w' });
    expect(smtpTarget('smtps://[::1]:2465', 1).options).toMatchObject({ host: '::1', port: 2465 });
  });

  it('passes the TLS flags it knows; refuses any other option rather than ignoring it', () => {
    expect(smtpTarget('smtp://h?requireTLS=true&tls.rejectUnauthorized=false', 1).options).toMatchObject({ requireTLS: true, tls: { rejectUnauthorized: false } });
    expect(smtpTarget('smtp://h?ignoreTLS=true', 1).options).toMatchObject({ ignoreTLS: true });
    expect(() => smtpTarget('smtp://h?pool=true', 1)).toThrow('SMTP_URL option pool is not supported');
    expect(() => smtpTarget('smtp://h?requireTLS=yes', 1)).toThrow('must be true or false');
    expect(() => smtpTarget('http://h', 1)).toThrow('smtp:// or smtps://');
  });
});
