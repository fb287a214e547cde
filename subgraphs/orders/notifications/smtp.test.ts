import { classifySmtpError, senderDomain } from './smtp';

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

  it('a broken connection retries, unless the whole message had gone out: then delivery is unknown', () => {
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
