import { describe, expect, test } from 'vitest';
import {
  formatSocketName,
  isMiProtocolError,
  type MiProtocolErrorCode,
  parseSocketName,
  type SocketName,
} from '../src/index.js';

function codeOf(f: () => unknown): MiProtocolErrorCode | 'no error' {
  try {
    f();
    return 'no error';
  } catch (e) {
    if (isMiProtocolError(e)) return e.code;
    throw e;
  }
}

describe('parseSocketName / formatSocketName', () => {
  const ROWS: [string, SocketName, string?][] = [
    ['/tmp/opensips.sock', { kind: 'unix', path: '/tmp/opensips.sock' }],
    ['relative.sock', { kind: 'unix', path: 'relative.sock' }],
    ['UDP:1.2.3.4:5', { kind: 'unix', path: 'UDP:1.2.3.4:5' }],
    ['udp:127.0.0.1:8080', { kind: 'udp', host: '127.0.0.1', port: 8080, family: 4 }],
    ['udp:0.0.0.0:0', { kind: 'udp', host: '0.0.0.0', port: 0, family: 4 }],
    ['udp:[::1]:8080', { kind: 'udp', host: '::1', port: 8080, family: 6 }],
    ['udp:[fe80::1%eth0]:65535', { kind: 'udp', host: 'fe80::1%eth0', port: 65535, family: 6 }],
    ['udp:[::ffff:1.2.3.4]:9', { kind: 'udp', host: '::ffff:1.2.3.4', port: 9, family: 6 }],
    ['udp:[1:2:3:4:5:6:7:8]:9', { kind: 'udp', host: '1:2:3:4:5:6:7:8', port: 9, family: 6 }],
    ['udp:::1:8080', { kind: 'udp', host: '::1', port: 8080, family: 6 }, 'udp:[::1]:8080'],
    ['udp:localhost:1', { kind: 'udp', host: 'localhost', port: 1, family: 0 }],
    [
      'udp:mi.example-host_1.org:80',
      { kind: 'udp', host: 'mi.example-host_1.org', port: 80, family: 0 },
    ],
    ['udp:h:08080', { kind: 'udp', host: 'h', port: 8080, family: 0 }, 'udp:h:8080'],
  ];
  test.each(ROWS)('%s', (text, parsed, formatted) => {
    expect(parseSocketName(text)).toEqual(parsed);
    expect(formatSocketName(parsed)).toBe(formatted ?? text);
  });

  test.each([
    '',
    'a\0b',
    'udp:',
    'udp:host',
    'udp::8080',
    'udp:host:',
    'udp:host:65536',
    'udp:host:-1',
    'udp:host:+1',
    'udp:host:1e3',
    'udp:host:123456',
    'udp:host: 80',
    'udp:[]:80',
    'udp:[1.2.3.4]:80',
    'udp:[::1:80',
    'udp:[1::2::3]:80',
    'udp:[1:2:3:4:5:6:7:8:9]:80',
    'udp:[12345::]:80',
    'udp:256.1.1.1:80',
    'udp:01.1.1.1:80',
    'udp:1.2.3:80',
    'udp:bad host:80',
    'udp:a/b:80',
  ])('INVALID_SOCKET_NAME: %j', (text) => {
    expect(codeOf(() => parseSocketName(text))).toBe('INVALID_SOCKET_NAME');
  });

  test.each([
    [{ kind: 'unix', path: 'udp:1.2.3.4:5' }],
    [{ kind: 'unix', path: '' }],
    [{ kind: 'udp', host: '1.2.3.4', port: 70000, family: 4 }],
    [{ kind: 'udp', host: '1.2.3.4', port: 1.5, family: 4 }],
    [{ kind: 'udp', host: 'localhost', port: 1, family: 4 }],
    [{ kind: 'udp', host: '::1', port: 1, family: 0 }],
    [{ kind: 'tcp', host: 'x', port: 1, family: 0 }],
  ])('formatSocketName refuses %j', (name) => {
    expect(codeOf(() => formatSocketName(name as SocketName))).toBe('INVALID_SOCKET_NAME');
  });
});
