import { describe, expect, it } from 'vitest';
import { DEFAULT_SOCKET, parseCliArgs, toJsonRpcParams, toMiArgument } from '../src/cli/args.js';

const run = (argv: string[], env: Record<string, string> = {}) => {
  const out = parseCliArgs(argv, env);
  if (out.kind !== 'run') throw new Error(`expected run, got ${JSON.stringify(out)}`);
  return out.options;
};

describe('parseCliArgs', () => {
  it('defaults: MI_SOCKET, else /tmp/mi-datagram.sock; timeout 2000', () => {
    expect(run(['which'])).toEqual({
      sockets: [DEFAULT_SOCKET],
      timeout: 2000,
      json: false,
      protocol: 'auto',
      interactive: false,
      command: 'which',
      args: [],
    });
    expect(run(['which'], { MI_SOCKET: 'udp:127.0.0.1:9' }).sockets).toEqual(['udp:127.0.0.1:9']);
    expect(run(['-s', '/a', 'which'], { MI_SOCKET: '/env' }).sockets).toEqual(['/a']);
  });

  it('takes repeated -s, --timeout, --json, --jsonrpc in any order, = forms too', () => {
    const o = run([
      '-s',
      '/a',
      '--json',
      '--socket=/b',
      '-s/c',
      '--timeout',
      '50',
      '--jsonrpc',
      'cmd',
      'x',
    ]);
    expect(o).toMatchObject({
      sockets: ['/a', '/b', '/c'],
      timeout: 50,
      json: true,
      protocol: 'jsonrpc',
    });
    expect(run(['--legacy', 'x']).protocol).toBe('legacy');
    expect(run(['-i']).interactive).toBe(true);
    expect(run([]).command).toBeUndefined();
    expect(parseCliArgs(['--version'], {})).toEqual({ kind: 'version' });
    expect(parseCliArgs(['-V', 'x'], {})).toEqual({ kind: 'version' });
    expect(run(['--timeout=7', 'x']).timeout).toBe(7);
    expect(run(['-t', '7', 'x']).timeout).toBe(7);
  });

  it('stops at COMMAND: later dashes are arguments; -- ends options', () => {
    expect(run(['echo', '-s', '--json'])).toMatchObject({
      command: 'echo',
      args: ['-s', '--json'],
      json: false,
    });
    expect(run(['--', '-weird', 'a'])).toMatchObject({ command: '-weird', args: ['a'] });
  });

  it.each([
    [['--jsonrpc', '--legacy', 'x'], '--jsonrpc and --legacy exclude each other'],
    [['-i', 'x'], '-i takes no COMMAND'],
    [['--legacy=1', 'x'], '--legacy takes no value'],
    [['-s'], '-s needs a SOCKET'],
    [['--timeout', 'abc', 'x'], 'invalid --timeout'],
    [['--timeout', '0', 'x'], 'invalid --timeout'],
    [['--timeout', '-5', 'x'], 'invalid --timeout'],
    [['--timeout'], 'needs a number'],
    [['--bogus', 'x'], 'unknown option --bogus'],
    [['--json=1', 'x'], 'takes no value'],
  ])('usage error for %j', (argv, message) => {
    const out = parseCliArgs(argv, {});
    expect(out.kind).toBe('usage');
    expect(out.kind === 'usage' && out.message).toContain(message);
  });

  it('--help wins', () => {
    expect(parseCliArgs(['-s', '/a', '--help', 'x'], {}).kind).toBe('help');
    expect(parseCliArgs(['-h'], {}).kind).toBe('help');
  });
});

describe('toMiArgument', () => {
  it('splits at the first :: (ARCHITECTURE.md), else a value', () => {
    expect(toMiArgument('hello world')).toBe('hello world');
    expect(toMiArgument('key::v1')).toEqual({ name: 'key', value: 'v1' });
    expect(toMiArgument('a::b::c')).toEqual({ name: 'a', value: 'b::c' });
    expect(toMiArgument('key::')).toEqual({ name: 'key' });
    expect(toMiArgument('::v')).toEqual({ value: 'v' });
    expect(toMiArgument('value::  spaced  ')).toEqual({ name: 'value', value: '  spaced  ' });
  });
});

describe('toJsonRpcParams', () => {
  it('positional, named, none; mixing is an error', () => {
    expect(toJsonRpcParams([])).toEqual({ params: undefined });
    expect(toJsonRpcParams(['a', 'b'])).toEqual({ params: ['a', 'b'] });
    expect(toJsonRpcParams(['level::3', 'pid::12'])).toEqual({ params: { level: '3', pid: '12' } });
    expect(toJsonRpcParams(['level::3', 'x'])).toHaveProperty('error');
    expect(toJsonRpcParams(['::3'])).toHaveProperty('error');
    expect(toJsonRpcParams(['a::1', 'a::2'])).toHaveProperty('error');
  });

  it('a __proto__ param name is an ordinary own key', () => {
    const out = toJsonRpcParams(['__proto__::x']);
    expect('params' in out && JSON.stringify(out.params)).toBe('{"__proto__":"x"}');
  });
});
