import { bindAddressOf, isLoopbackUrl, portOf, rebase } from './service-url';

describe('service URLs', () => {
  it('starts services only for loopback URLs', () => {
    expect(isLoopbackUrl('http://localhost:9001')).toBe(true);
    expect(isLoopbackUrl('http://127.0.0.1:8080')).toBe(true);
    expect(isLoopbackUrl('http://[::1]:8081')).toBe(true);
    expect(isLoopbackUrl('http://user-service:8080')).toBe(false);
    expect(isLoopbackUrl('http://localhost.example.com:8080')).toBe(false);
  });

  it('reads explicit and default ports', () => {
    expect(portOf('http://localhost:9001')).toBe(9001);
    expect(portOf('http://localhost')).toBe(80);
    expect(portOf('https://auth.example')).toBe(443);
  });

  it('binds IPv6 loopback only for an IPv6 URL', () => {
    expect(bindAddressOf('http://[::1]:8081')).toBe('::1');
    expect(bindAddressOf('http://localhost:8081')).toBe('127.0.0.1');
  });

  it('moves an endpoint named after the issuer onto the address this machine reaches', () => {
    expect(rebase('http://localhost:9001/oauth2/token', 'http://auth-server:9001')).toBe('http://auth-server:9001/oauth2/token');
    expect(rebase('http://localhost:9001/oauth2/jwks', 'http://localhost:9001')).toBe('http://localhost:9001/oauth2/jwks');
  });
});
