import { hashPassword, passwordProblems, verifyPassword, PASSWORD_MIN_LENGTH } from './password';

describe('password policy', () => {
  it('accepts a long password unrelated to the email', () => {
    expect(passwordProblems('correct horse battery', 'ada@example.com')).toEqual([]);
  });

  it(`refuses passwords shorter than ${PASSWORD_MIN_LENGTH} characters`, () => {
    expect(passwordProblems('short1234', 'ada@example.com')).toEqual([`must be at least ${PASSWORD_MIN_LENGTH} characters`]);
    expect(passwordProblems('exactly10!', 'ada@example.com')).toEqual([]);
  });

  it('refuses a password equal to or containing the email, whatever the case', () => {
    expect(passwordProblems('ada@example.com', 'ada@example.com')).toContain('must not contain your email address');
    expect(passwordProblems('my-ADA@Example.com-2024', 'ada@example.com')).toContain('must not contain your email address');
  });

  it('refuses absurdly long passwords', () => {
    expect(passwordProblems('x'.repeat(201), 'ada@example.com')).toEqual(['must be at most 200 characters']);
  });
});

describe('password hashing', () => {
  it('stores the algorithm, parameters and salt with the hash, and verifies only the right password', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{86}$/);
    expect(hash).not.toContain('correct horse battery');
    await expect(verifyPassword('correct horse battery', hash)).resolves.toBe(true);
    await expect(verifyPassword('correct horse batterY', hash)).resolves.toBe(false);
  });

  it('salts every hash, so the same password never hashes the same twice', async () => {
    const [a, b] = await Promise.all([hashPassword('same password here'), hashPassword('same password here')]);
    expect(a).not.toBe(b);
    await expect(verifyPassword('same password here', b)).resolves.toBe(true);
  });

  it('verifies with the parameters stored in the hash, not the current defaults', async () => {
    const hash = await hashPassword('parameters travel along');
    const [, , , , salt] = hash.split('$');
    const { scryptSync } = await import('node:crypto');
    const weaker = ['scrypt', 1024, 8, 1, salt, scryptSync('parameters travel along', Buffer.from(salt, 'base64url'), 32, { N: 1024, r: 8, p: 1 }).toString('base64url')].join('$');
    await expect(verifyPassword('parameters travel along', weaker)).resolves.toBe(true);
  });

  it('never matches a missing or malformed stored hash', async () => {
    await expect(verifyPassword('anything at all', null)).resolves.toBe(false);
    await expect(verifyPassword('anything at all', 'plaintext')).resolves.toBe(false);
    await expect(verifyPassword('anything at all', 'scrypt$0$8$1$abc$def')).resolves.toBe(false);
  });
});
